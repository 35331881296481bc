"""A small OTLP/HTTP logs receiver on loopback: what a Loki-compatible endpoint is sent."""

from __future__ import annotations

import gzip
import http.server
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass
class Record:
    body: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


@dataclass
class Receiver:
    path: str = "/otlp/v1/logs"
    records: list[Record] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                if self.path != receiver.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportLogsServiceRequest()
                request.ParseFromString(raw)
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                for resource_logs in request.resource_logs:
                    resource = {a.key: value(a.value) for a in resource_logs.resource.attributes}
                    for scope in resource_logs.scope_logs:
                        for log in scope.log_records:
                            receiver.records.append(
                                Record(
                                    str(value(log.body)),
                                    {a.key: value(a.value) for a in log.attributes},
                                    resource,
                                )
                            )
                body = ExportLogsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in v.kvlist_value.values}
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    return getattr(v, kind)
