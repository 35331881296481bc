"""Runs the pack the way the engine does and talks to it over the analyzer gRPC interface.

``python -m pulumi.policy <engine address> policies`` is started as a subprocess; it prints
the port of its analyzer server on stdout. A small Engine servicer stands in for the engine
so the pack's Log calls (exemption notices) have somewhere to go and can be asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_VALUES = {v: k for k, v in LEVELS.items()}


def engine_resources(resources: Iterable[Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(type, inputs, name) of every custom resource a program run registered, as the engine
    sends them to the pack (providers left out)."""
    out = []
    for r in resources:
        if not getattr(r, "custom", True) or r.type.startswith("pulumi:providers:"):
            continue
        inputs = {k: v for k, v in dict(r.inputs).items() if not k.startswith("__")}
        # Through JSON so the request carries exactly what a Struct can: the engine's wire form.
        out.append((r.type, json.loads(json.dumps(inputs, default=str)), r.name))
    return out


class FakeEngine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        with self._lock:
            self.logs.append((request.severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.SetRootResourceResponse()


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


class PackProcess:
    def __init__(self, pack_dir: Path = ROOT / "policies", startup_timeout: float = 60.0) -> None:
        self.engine = FakeEngine()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._server)
        engine_port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.engine_address = f"127.0.0.1:{engine_port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pulumi.policy", self.engine_address, str(pack_dir)],
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.stderr_lines: list[str] = []
        self.port = self._read_port(startup_timeout)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=startup_timeout)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _read_port(self, timeout: float) -> int:
        result: list[str] = []
        stdout = self.proc.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: result.append(stdout.readline().decode()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0].strip().isdigit():
            self.close()
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"policy pack did not print its port within {timeout}s: {result!r}\n{err}")
        return int(result[0].strip())

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def info(self) -> Any:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)

    def plugin_info(self) -> Any:
        return self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)

    def configure(self, config: dict[str, dict[str, Any]]) -> None:
        """config: {policy: {"enforcementLevel": "...", <properties>}}; policies not named
        keep the defaults the pack declared, as the engine reconciles them."""
        info = self.info()
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for p in info.policies:
            given = dict(config.get(p.name, {}))
            level = given.pop("enforcementLevel", None)
            pc = analyzer_pb2.PolicyConfig(
                enforcementLevel=LEVEL_VALUES[level] if level else p.enforcementLevel
            )
            defaults = {
                k: v["default"]
                for k, v in json_format.MessageToDict(p.configSchema.properties).items()
                if isinstance(v, dict) and "default" in v
            }
            pc.properties.update({**defaults, **given})
            request.policyConfig[p.name].CopyFrom(pc)
        self.stub.Configure(request, timeout=30)

    def analyze(
        self, rtype: str, props: dict[str, Any], name: str, urn: str | None = None
    ) -> list[dict[str, Any]]:
        urn = urn or f"urn:pulumi:test::shiksha-setu::{rtype}::{name}"
        resp = self.stub.Analyze(
            analyzer_pb2.AnalyzeRequest(type=rtype, properties=to_struct(props), urn=urn, name=name),
            timeout=60,
        )
        return [diag(d) for d in resp.diagnostics]

    def analyze_stack(self, resources: list[tuple[str, dict[str, Any], str]]) -> list[dict[str, Any]]:
        req = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=t, properties=to_struct(p), name=n, urn=f"urn:pulumi:test::shiksha-setu::{t}::{n}"
                )
                for t, p, n in resources
            ]
        )
        resp = self.stub.AnalyzeStack(req, timeout=120)
        return [diag(d) for d in resp.diagnostics]

    def remediate(self, rtype: str, props: dict[str, Any], name: str) -> Any:
        urn = f"urn:pulumi:test::shiksha-setu::{rtype}::{name}"
        return self.stub.Remediate(
            analyzer_pb2.AnalyzeRequest(type=rtype, properties=to_struct(props), urn=urn, name=name),
            timeout=60,
        )

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._server.stop(0)

    def __enter__(self) -> PackProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def diag(d: Any) -> dict[str, Any]:
    return {
        "policy": d.policyName,
        "level": LEVELS[d.enforcementLevel],
        "message": d.message,
        "urn": d.urn,
        "severity": d.severity,
    }
