"""Processes and endpoints the integration tests start, and always stop, on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class LocalEndpoint:
    """Serves `body` on GET and records every POST (path, JSON body)."""

    body: str
    port: int = 0
    posts: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def local_endpoint(body: str) -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint(body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = endpoint.body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                payload: Any = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
            endpoint.posts.append((self.path, payload))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def deliver_to(config: dict[str, Any], receiver: LocalEndpoint, key_file: Path) -> None:
    """An alertmanager.yml's delivery pointed at `receiver`: PagerDuty's URL, and each webhook
    at a path named after its receiver; the routing key read from `key_file`."""
    for entry in config["receivers"]:
        for pd in entry.get("pagerduty_configs", []):
            pd["url"] = f"http://{receiver.address}/pagerduty"
            pd["routing_key_file"] = str(key_file)
        for hook in entry.get("webhook_configs", []):
            hook["url"] = f"http://{receiver.address}/webhook/{entry['name']}"


@contextmanager
def running(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Starts `command` (with `env` added to the environment), yields it, and stops it
    (SIGTERM, then SIGKILL) whatever happens."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def post_json(url: str, payload: Any) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Path | None = None) -> Any:
    """Polls `check` until it returns something truthy; fails with the server log if not."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # the server may not be listening yet
            last_error = error
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})\n{tail}")
