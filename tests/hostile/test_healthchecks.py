"""Hostile probe paths on the docker-host target. The generated health checks take the URL
as an argument (never as source text of a shell, JavaScript or Python program): each
hostile path is refused by the model (key named, nothing registered), or the checks, run
for real with curl, node and python3, request exactly that path and run nothing else."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.program import run_program
from tests.support.tools import require_tool

from .hostile import HOSTILE, refusal

# Workload -> the tool its image checks with (dockerHost.httpHealthTool's defaults).
TOOLS = {"api": "curl", "frontend": "node", "vllm": "python3"}
KEY = "workloads.api.probes.readiness.httpPath"

# Each would have been code in the old checks; each is a valid request target.
PAYLOADS = {
    "node": "/h'+require('fs').writeFileSync('MARK-node','')+'",
    "python": "/h');open('MARK-python','w');('",
    "shell": "/h';touch$IFS'MARK-shell",
    "shell-subst": "/h$(touch$IFS'MARK-subst')",
}


@contextmanager
def servers(count: int) -> Iterator[list[tuple[int, list[str]]]]:
    """HTTP servers on loopback answering 200 and recording each request's raw target."""
    started = []
    for _ in range(count):
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            log = seen

            def do_GET(self) -> None:
                self.log.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((server, seen))
    try:
        yield [(int(s.server_address[1]), seen) for s, seen in started]
    finally:
        for server, _ in started:
            server.shutdown()
            server.server_close()


def _checks(path: str, ports: dict[str, int]) -> dict[str, list[str]]:
    """The health check tests the program registers when every HTTP probe uses `path`."""
    workloads = {
        name: {"ports": {"http": port}, "probes": {"readiness": {"httpPath": path, "port": "http"}}}
        for name, port in ports.items()
    }
    snapshot = run_program(
        "prod",
        overrides={"shiksha-setu:target": "docker-host", "shiksha-setu:workloads": workloads},
    )
    containers = {r.name: r.inputs for r in snapshot.of_type("docker:index/container:Container")}
    return {name: containers[name]["healthcheck"]["tests"] for name in ports}


def _values(path: str) -> dict[str, Any]:
    return {
        "target": "docker-host",
        "workloads": {"api": {"probes": {"readiness": {"httpPath": path, "port": "http"}}}},
    }


def _run_checks(path: str, tmp_path: Path) -> None:
    for tool in set(TOOLS.values()):
        require_tool(tool)
    with servers(len(TOOLS)) as running:
        ports = {name: port for name, (port, _) in zip(TOOLS, running, strict=True)}
        checks = _checks(path, ports)
        for (name, tool), (_, seen) in zip(TOOLS.items(), running, strict=True):
            test = checks[name]
            assert test[0] == "CMD" and test[1] == tool
            # The URL is one whole argument and no other argument contains the path.
            url = f"http://127.0.0.1:{ports[name]}{path}"
            assert url in test
            assert not any(path in arg for arg in test if arg != url), test
            result = subprocess.run(test[1:], cwd=tmp_path, capture_output=True, timeout=30)
            assert result.returncode == 0, (name, result.stderr)
            assert seen == [path], (name, seen)
    assert list(tmp_path.iterdir()) == [], "a health check ran code from its URL"


@pytest.mark.parametrize("payload", list(PAYLOADS), ids=list(PAYLOADS))
def test_code_in_a_probe_path_stays_a_path(payload: str, tmp_path: Path) -> None:
    path = PAYLOADS[payload]
    assert refusal(_values(path), KEY) is None
    _run_checks(path, tmp_path)


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_probe_path(hostile: str, tmp_path: Path) -> None:
    path = "/health" + HOSTILE[hostile]
    if refusal(_values(path), KEY) is not None:
        return
    _run_checks(path, tmp_path)
