"""The collector's rendered config, judged by the real collector: `validate`, and a real
process tailing kubelet-style log files on loopback into a small OTLP receiver, with a
real nginx access log line and an API JSON line that must arrive parsed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config.edge import EdgeSpec
from components.config.loader import parse_estate
from components.config.logging import LoggingSpec
from components.render.collector import render_collector_config
from tests.nginx import harness
from tests.support.ports import free_port, free_ports
from tests.support.tools import require_tool

from .extra import extra_binary
from .receiver import Receiver

NS = "shiksha-setu"
API_LINE = json.dumps(
    {
        "time": "2026-12-01T10:00:00Z",
        "level": "info",
        "logger": "app.main",
        "message": "lesson served",
        "request_id": "4b1c",
        "path": "/api/lessons/7",
        "status": 200,
        "duration_ms": 12.5,
    }
)


def spec(endpoint: str, **extra: Any) -> LoggingSpec:
    return LoggingSpec.model_validate(
        {"enabled": True, "endpoint": endpoint, "endpointCidrs": ["127.0.0.1/32"], **extra}
    )


def cri(line: str, stream: str = "stdout") -> str:
    """One line as containerd writes it to /var/log/pods (CRI format, full line)."""
    return f"2026-12-01T10:00:00.123456789Z {stream} F {line}\n"


@pytest.fixture(scope="module")
def nginx_line(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real access log line of the production edge config (json_combined)."""
    nginx = require_tool("nginx")
    require_tool("openssl")
    upstream = harness.Upstream().start()
    directory = tmp_path_factory.mktemp("nginx-log")
    http_port, https_port = free_ports(2)
    edge: EdgeSpec = parse_estate({"target": "docker-host"}).edge
    conf = harness.write_config(
        directory, edge, harness.loopback_settings(), f"127.0.0.1:{upstream.port}", https_port, http_port
    )
    try:
        with harness.running_nginx(nginx, conf, http_port, https_port) as live:
            status, _headers, _body = harness.get(
                https_port, live.directory / "tls.crt", '/api/lessons?q="quoted"\\x', {"User-Agent": 'ua "x"'}
            )
            assert status < 500
            deadline = time.monotonic() + 10
            log = directory / "access.log"
            while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
                time.sleep(0.05)
            line = log.read_text().splitlines()[0]
    finally:
        upstream.stop()
    return line


@pytest.mark.nginx
def test_the_real_nginx_line_is_one_json_object(nginx_line: str) -> None:
    # What the collector's json_parser receives; escape=json keeps quotes in the UA valid.
    fields = json.loads(nginx_line)
    assert fields["user_agent"] == 'ua "x"'
    assert fields["method"] == "GET"


@pytest.fixture(scope="module")
def otelcol() -> str:
    return extra_binary("otelcol-shiksha")


def _validate(otelcol: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POD_IP": "127.0.0.1", "LOKI_BASIC_AUTH": "dGVzdA=="}
    return subprocess.run(
        [otelcol, "validate", f"--config={config}"], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.extra
def test_validate_accepts_the_rendered_config(otelcol: str, tmp_path: Path) -> None:
    for extra in ({}, {"username": "12345", "tenant": "shiksha-$-tenant"}):
        config = tmp_path / "config.yaml"
        config.write_text(
            render_collector_config(spec("https://loki.example.org/otlp/v1/logs", **extra), [NS])
        )
        result = _validate(otelcol, config)
        assert result.returncode == 0, result.stderr


@pytest.mark.extra
def test_validate_rejects_a_broken_config(otelcol: str, tmp_path: Path) -> None:
    # Guards the test above: validate must judge the components' settings, not just YAML.
    text = render_collector_config(spec("https://loki.example.org/otlp/v1/logs"), [NS])
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("start_at: end", "start_at: middle"))
    result = _validate(otelcol, config)
    assert result.returncode != 0
    assert "start_at" in result.stderr


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.mark.extra
@pytest.mark.nginx
def test_a_real_collector_ships_the_pod_logs_parsed(
    otelcol: str, receiver: Receiver, nginx_line: str, tmp_path: Path
) -> None:
    pods = tmp_path / "pods"
    pods.mkdir()
    health = free_port()
    logging = spec(receiver.endpoint, allowPlainHttp=True, username="123456", tenant="shiksha-setu")
    config = tmp_path / "config.yaml"
    config.write_text(
        render_collector_config(logging, [NS], pods_dir=str(pods), health_endpoint=f"127.0.0.1:{health}")
    )
    env = {**os.environ, "LOKI_BASIC_AUTH": base64.b64encode(b"123456:s3cret").decode()}
    process = subprocess.Popen(
        [otelcol, f"--config={config}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_healthy(process, health)
        # start_at: end holds for the files of the first poll (every 200 ms) only; files that
        # appear later, as a new pod's do, are read from their first line.
        time.sleep(1)
        api = pods / f"{NS}_api-7d9f_0c1e/api/0.log"
        edge = pods / f"{NS}_nginx-5b2a_9f3d/nginx/0.log"
        skipped = [
            pods / "kube-system_coredns-1_aa/coredns/0.log",
            pods / "shiksha-setu-logging_c-1_bb/c/0.log",
        ]
        for path in (api, edge, *skipped):
            path.parent.mkdir(parents=True)
        api.write_text(cri(API_LINE) + cri("plain text, not JSON", "stderr"))
        edge.write_text(cri(nginx_line))
        for path in skipped:
            path.write_text(cri('{"must": "not ship"}'))
        deadline = time.monotonic() + 60
        while len(receiver.records) < 3 and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.2)
        time.sleep(1)  # anything that should not ship has had its chance
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    records = {r.body: r for r in receiver.records}
    assert set(records) == {API_LINE, "plain text, not JSON", nginx_line}, output

    api_record = records[API_LINE]
    assert api_record.attributes["message"] == "lesson served"
    assert api_record.attributes["status"] == 200
    assert api_record.resource["k8s.namespace.name"] == NS
    assert api_record.resource["k8s.pod.name"] == "api-7d9f"
    assert api_record.resource["k8s.container.name"] == "api"
    assert records["plain text, not JSON"].attributes["log.iostream"] == "stderr"
    nginx_fields = json.loads(nginx_line)
    nginx_record = records[nginx_line]
    for key in ("status", "uri", "user_agent", "request_id", "method"):
        assert nginx_record.attributes[key] == nginx_fields[key], key

    for headers in receiver.headers:
        assert headers["authorization"] == "Basic " + base64.b64encode(b"123456:s3cret").decode()
        assert headers["x-scope-orgid"] == "shiksha-setu"


def _wait_healthy(process: subprocess.Popen[str], port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read() if process.stdout else "collector exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the collector did not report healthy within 60 s")
