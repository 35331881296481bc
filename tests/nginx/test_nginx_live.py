"""The generated nginx.conf run by a real nginx on loopback, in front of a test upstream."""

from __future__ import annotations

import gzip
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.config.edge import EdgeSpec
from components.config.loader import parse_estate
from tests.nginx import harness
from tests.support.ports import free_ports
from tests.support.tools import require_tool

pytestmark = pytest.mark.nginx


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    return require_tool("nginx")


@pytest.fixture(scope="module")
def openssl_bin() -> str:
    return require_tool("openssl")


@pytest.fixture(scope="module")
def upstream() -> Iterator[harness.Upstream]:
    server = harness.Upstream().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def edge() -> EdgeSpec:
    return parse_estate({"target": "docker-host"}).edge


@pytest.fixture(scope="module")
def live(
    nginx_bin: str,
    openssl_bin: str,
    upstream: harness.Upstream,
    edge: EdgeSpec,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[harness.RunningNginx]:
    directory = tmp_path_factory.mktemp("nginx-edge")
    http_port, https_port = free_ports(2)
    # The production edge, except that rate limits must not trip over the test's own requests.
    relaxed = edge.model_copy(
        update={"rate_limits": edge.rate_limits.model_copy(update={"requests_per_second": 1000})}
    )
    conf = harness.write_config(
        directory, relaxed, harness.loopback_settings(), f"127.0.0.1:{upstream.port}", https_port, http_port
    )
    with harness.running_nginx(nginx_bin, conf, http_port, https_port) as running:
        yield running


def _cert(live: harness.RunningNginx) -> Path:
    return live.directory / "tls.crt"


def test_nginx_t_accepts_the_generated_config(nginx_bin: str, live: harness.RunningNginx) -> None:
    result = subprocess.run(
        [nginx_bin, "-t", "-p", str(live.directory), "-c", str(live.directory / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # The only warning tolerated: no OCSP responder in a self-signed certificate.
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line or "[emerg]" in line]
    assert all("ssl_stapling" in line for line in warnings), warnings


def test_every_security_header_on_every_kind_of_response(live: harness.RunningNginx, edge: EdgeSpec) -> None:
    expected = edge.headers.as_headers()
    for path in ("/api/health", "/", "/wp-admin/setup.php", "/api/missing/.env"):
        status, headers, _ = harness.get(live.https_port, _cert(live), path)
        for name, value in expected.items():
            assert headers.get(name.lower()) == value, (path, status, name)
        assert "x-request-id" in headers, path
        assert "server" not in headers or "/" not in headers["server"], "server_tokens leak the version"


def test_request_id_is_passed_upstream_and_returned(
    live: harness.RunningNginx, upstream: harness.Upstream
) -> None:
    status, headers, _ = harness.get(
        live.https_port, _cert(live), "/api/trace", {"X-Request-ID": "trace-abc-123"}
    )
    assert status == 200
    assert headers["x-request-id"] == "trace-abc-123"
    assert upstream.seen[-1]["headers"]["X-Request-ID"] == "trace-abc-123"

    # Without one, nginx mints an id and the upstream and client see the same one.
    status, headers, _ = harness.get(live.https_port, _cert(live), "/api/trace-minted")
    minted = upstream.seen[-1]["headers"]["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", minted)
    assert headers["x-request-id"] == minted

    # A malformed id (header injection attempt) is replaced, not forwarded.
    harness.get(live.https_port, _cert(live), "/api/trace-bad", {"X-Request-ID": "a b;<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", upstream.seen[-1]["headers"]["X-Request-ID"])


@pytest.mark.parametrize(
    "path",
    [
        "/wp-admin/",
        "/wp-login.php",
        "/phpMyAdmin/index.php",
        "/PHPMYADMIN",
        "/.env",
        "/.git/config",
        "/api/.git/HEAD",
        "/xmlrpc.php",
        "/cgi-bin/test.cgi",
        "/static/.htaccess",
    ],
)
def test_exploit_paths_are_refused_before_the_upstream(
    live: harness.RunningNginx, upstream: harness.Upstream, path: str
) -> None:
    before = len(upstream.seen)
    status, _, _ = harness.get(live.https_port, _cert(live), path)
    assert status == harness.loopback_settings().blocked_status
    assert upstream.paths[before:] == []


def test_ordinary_paths_reach_the_upstream(live: harness.RunningNginx, upstream: harness.Upstream) -> None:
    for path in ("/api/v1/lessons", "/environment", "/assets/app.js"):
        status, _, _body = harness.get(live.https_port, _cert(live), path)
        assert status == 200, path
        assert upstream.paths[-1] == path


def test_gzip_applied_to_compressible_responses(live: harness.RunningNginx) -> None:
    status, headers, body = harness.get(live.https_port, _cert(live), "/api/big", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert "accept-encoding" in headers.get("vary", "").lower()
    assert gzip.decompress(body).decode() == harness.BIG_BODY
    assert len(body) < len(harness.BIG_BODY) / 4
    # A client that did not ask gets the plain body.
    _, plain_headers, plain = harness.get(live.https_port, _cert(live), "/api/big")
    assert "content-encoding" not in plain_headers
    assert plain.decode() == harness.BIG_BODY


def test_sse_reaches_the_client_event_by_event(
    live: harness.RunningNginx, upstream: harness.Upstream
) -> None:
    """Causal, not timed: the upstream sends each event only once the client has the one
    before (or after SSE_CLIENT_WAIT_SECONDS), so a buffering proxy shows as stalls."""
    harness.start_event_stream(upstream)
    timeout = harness.SSE_CLIENT_WAIT_SECONDS * (harness.SSE_EVENTS + 1)
    conn = harness.EdgeConnection(live.https_port, _cert(live), timeout=timeout)
    try:
        conn.request(
            "GET", "/api/v2/chat/stream", headers={"Accept": "text/event-stream", "Accept-Encoding": "gzip"}
        )
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        assert response.getheader("Content-Encoding") is None
        events = harness.read_events(response, upstream)
    finally:
        conn.close()
    harness.assert_event_by_event(events, upstream, "nginx")


def test_http_redirects_to_https(live: harness.RunningNginx) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", live.http_port, timeout=5)
    try:
        conn.request("GET", "/api/v1/lessons?page=2", headers={"Host": harness.HOST})
        response = conn.getresponse()
        assert response.status == 301
        assert (
            response.getheader("Location")
            == f"https://{harness.HOST}:{live.https_port}/api/v1/lessons?page=2"
        )
    finally:
        conn.close()


def test_unknown_host_is_refused(live: harness.RunningNginx) -> None:
    import ssl

    _handshake(live, harness.HOST)
    with pytest.raises(ssl.SSLError, match=r"UNRECOGNIZED_NAME|unrecognized name"):
        _handshake(live, "evil.example.com")


def _handshake(live: harness.RunningNginx, host: str) -> None:
    import socket
    import ssl

    context = ssl.create_default_context(cafile=str(_cert(live)))
    context.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", live.https_port), timeout=5) as sock,
        context.wrap_socket(sock, server_hostname=host),
    ):
        pass


@pytest.mark.parametrize("flag", ["-tls1_2", "-tls1_3"])
def test_tls_12_and_13_accepted(openssl_bin: str, live: harness.RunningNginx, flag: str) -> None:
    result = _s_client(openssl_bin, live, [flag])
    assert "Verify return code: 0" in result, result


def test_chacha20_offered_for_tls13(openssl_bin: str, live: harness.RunningNginx) -> None:
    result = _s_client(openssl_bin, live, ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"])
    assert "TLS_CHACHA20_POLY1305_SHA256" in result, result


@pytest.mark.parametrize("flag", ["-tls1", "-tls1_1"])
def test_old_tls_refused(openssl_bin: str, live: harness.RunningNginx, flag: str) -> None:
    # @SECLEVEL=0 lets the client offer the old protocol, so a refusal is the server's.
    result = _s_client(openssl_bin, live, [flag, "-cipher", "DEFAULT:@SECLEVEL=0"])
    # Alert 70 comes from the server: it refused the protocol version the client offered.
    assert "alert protocol version" in result, result
    assert "Cipher is (NONE)" in result, result


def _s_client(openssl_bin: str, live: harness.RunningNginx, extra: list[str]) -> str:
    result = subprocess.run(
        [
            openssl_bin,
            "s_client",
            "-connect",
            f"127.0.0.1:{live.https_port}",
            "-servername",
            harness.HOST,
            "-CAfile",
            str(_cert(live)),
            *extra,
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=20,
    )
    return result.stdout + result.stderr


def test_rate_limit_returns_the_configured_status(
    nginx_bin: str,
    openssl_bin: str,
    upstream: harness.Upstream,
    edge: EdgeSpec,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    strict = edge.model_copy(
        update={
            "rate_limits": edge.rate_limits.model_copy(
                update={"requests_per_second": 2, "burst_multiplier": 1, "status_code": 429}
            )
        }
    )
    directory = tmp_path_factory.mktemp("nginx-rate")
    http_port, https_port = free_ports(2)
    conf = harness.write_config(
        directory, strict, harness.loopback_settings(), f"127.0.0.1:{upstream.port}", https_port, http_port
    )
    statuses: list[int] = []
    headers_seen: list[dict[str, str]] = []
    lock = threading.Lock()

    def hit() -> None:
        status, headers, _ = harness.get(https_port, directory / "tls.crt", "/api/limited")
        with lock:
            statuses.append(status)
            headers_seen.append(headers)

    with harness.running_nginx(nginx_bin, conf, http_port, https_port):
        threads = [threading.Thread(target=hit) for _ in range(15)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started
    assert len(statuses) == 15
    assert set(statuses) <= {200, 429}, statuses
    # Rate 2/s with a burst of 2: the burst, plus 2 for each second the requests took to
    # arrive (a loaded machine spreads 15 TLS handshakes out), pass; the rest are refused.
    allowed = 1 + 2 + int(2 * elapsed)
    assert 1 <= statuses.count(200) <= allowed, (statuses, f"{elapsed:.1f} s")
    assert statuses.count(429) >= 15 - allowed, (statuses, f"{elapsed:.1f} s")
    assert statuses.count(429) >= 1, statuses
    refused = [h for s, h in zip(statuses, headers_seen, strict=True) if s == 429]
    assert all(h.get("strict-transport-security") for h in refused)
