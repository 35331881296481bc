"""Cache-Control by path class and the CDN-only origin, on a real nginx on loopback running
the generated nginx.conf in front of an upstream that answers like the frontend and the API."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config.cdn import CacheControlSpec, CdnSpec
from components.config.edge import EdgeSpec
from components.config.loader import parse_estate
from components.render.nginx import NginxConfigError, NginxPaths, origin_auth_map, render_nginx_conf
from components.render.quoting import UnquotableError
from tests.nginx import harness
from tests.support.ports import free_ports
from tests.support.tools import require_tool

pytestmark = pytest.mark.nginx

IMMUTABLE = "public, max-age=31536000, immutable"
# Regex, quote and nginx metacharacters: each must be taken literally.
SECRET = 'cdn.S3cret"$x\\~*(a|b)^[z]{2};#'
HEADER = "X-Shiksha-Origin-Auth"


class Upstream:
    """The frontend (`serve --single`: a missing file is index.html with 200) and the API,
    each with its own Cache-Control that the edge must replace."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                upstream.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                status, ctype = 200, "application/json"
                body = json.dumps({"path": self.path}).encode()
                if self.path.startswith("/assets/app-"):
                    ctype, body = "application/javascript", b"console.log('shiksha');" * 40
                elif self.path.startswith("/assets/gone"):
                    status, ctype = 404, "text/plain"
                elif not self.path.startswith(("/api", "/ws")):
                    ctype, body = "text/html; charset=utf-8", b"<!doctype html><title>Shiksha</title>"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Cache-Control", "max-age=60")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    require_tool("openssl")
    return require_tool("nginx")


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.stop()


def _edge() -> EdgeSpec:
    edge = parse_estate({"target": "docker-host"}).edge
    # The production edge, except that rate limits must not trip over the test's own requests.
    return edge.model_copy(
        update={"rate_limits": edge.rate_limits.model_copy(update={"requests_per_second": 1000})}
    )


@contextlib.contextmanager
def _nginx(
    nginx: str, directory: Path, upstream: Upstream, cdn: CdnSpec, secret: str = SECRET
) -> Iterator[harness.RunningNginx]:
    http_port, https_port = free_ports(2)
    settings = harness.loopback_settings()
    address = f"127.0.0.1:{upstream.port}"
    conf = harness.write_config(directory, _edge(), settings, address, https_port, http_port, cdn=cdn)
    if cdn.enabled:
        (directory / harness.CDN_ORIGIN_AUTH).write_text(origin_auth_map(cdn, secret))
    with harness.running_nginx(nginx, conf, http_port, https_port) as running:
        yield running


def _get(
    live: harness.RunningNginx, path: str, headers: dict[str, str] | None = None, host: str = harness.HOST
) -> tuple[int, list[tuple[str, str]]]:
    conn = harness.EdgeConnection(
        live.https_port, live.directory / "tls.crt", host=host, check_hostname=False
    )
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, [(k.lower(), v) for k, v in response.getheaders()]
    finally:
        conn.close()


def _values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k == name]


@pytest.fixture(scope="module")
def default_edge(
    nginx_bin: str, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[harness.RunningNginx]:
    with _nginx(nginx_bin, tmp_path_factory.mktemp("cache"), upstream, CdnSpec()) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/assets/app-3f9a1c.js", IMMUTABLE),  # hashed build asset
        ("/assets/app-3f9a1c.js?v=2", IMMUTABLE),
        ("/assets/missing-77aa.js", "no-cache"),  # the SPA's index.html fallback: HTML, never a year
        ("/assets/gone.js", "no-store"),  # errors are never cached
        ("/", "no-cache"),  # the HTML shell
        ("/lessons/12", "no-cache"),
        ("/assetsx/app-3f9a1c.js", "no-cache"),  # not under the hashed prefix
        ("/api/v1/lessons", "no-store"),
        ("/api/v2/ml/summarise", "no-store"),
        ("/ws", "no-store"),
        ("/wp-admin/setup.php", "no-store"),  # refused by the edge itself
    ],
)
def test_cache_control_by_path_class(default_edge: harness.RunningNginx, path: str, expected: str) -> None:
    _status, headers = _get(default_edge, path)
    # Exactly one value: the upstream's own max-age=60 is replaced, not repeated.
    assert _values(headers, "cache-control") == [expected]


def test_vary_names_encoding_and_origin_once(default_edge: harness.RunningNginx) -> None:
    for path in ("/assets/app-3f9a1c.js", "/api/v1/lessons", "/"):
        status, headers = _get(default_edge, path, {"Accept-Encoding": "gzip", "Origin": "https://x.example"})
        assert status == 200
        [vary] = _values(headers, "vary")
        assert {v.strip().lower() for v in vary.split(",")} == {"accept-encoding", "origin"}, path
    status, headers = _get(default_edge, "/assets/app-3f9a1c.js", {"Accept-Encoding": "gzip"})
    assert _values(headers, "content-encoding") == ["gzip"]


def test_security_headers_still_on_every_class(default_edge: harness.RunningNginx) -> None:
    # add_header in a location would silently drop the server's headers; these stay server-wide.
    for path in ("/assets/app-3f9a1c.js", "/api/v1/lessons", "/", "/wp-admin"):
        _status, headers = _get(default_edge, path)
        assert _values(headers, "strict-transport-security"), path
        assert _values(headers, "x-content-type-options") == ["nosniff"], path


def test_without_a_cdn_anyone_may_connect(default_edge: harness.RunningNginx) -> None:
    status, _headers = _get(default_edge, "/api/v1/lessons")
    assert status == 200
    assert "cdn_origin" not in default_edge.conf


CDN = {"enabled": True, "originHost": "origin.shikshasetu.example.org", "allowedRanges": ["127.0.0.0/8"]}


@pytest.fixture(scope="module")
def cdn_edge(
    nginx_bin: str, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[harness.RunningNginx]:
    cdn = parse_estate({"target": "docker-host", "cdn": CDN}).cdn
    with _nginx(nginx_bin, tmp_path_factory.mktemp("cdn"), upstream, cdn) as running:
        yield running


def test_origin_answers_only_with_the_shared_header(
    cdn_edge: harness.RunningNginx, upstream: Upstream
) -> None:
    before = len(upstream.seen)
    wrong = [
        {},
        {HEADER: ""},
        {HEADER: SECRET.upper()},  # exact: case matters
        {HEADER: SECRET + "x"},
        {HEADER: "x" + SECRET},
        {HEADER: SECRET.replace(".", "Z")},  # '.' is not a regex wildcard
        {HEADER: ".*"},
        {"X-Other": SECRET},
    ]
    for headers in wrong:
        status, _ = _get(cdn_edge, "/api/v1/lessons", headers)
        assert status == 403, headers
    assert len(upstream.seen) == before  # nothing refused reached the upstream
    status, headers = _get(cdn_edge, "/assets/app-3f9a1c.js", {HEADER: SECRET})
    assert status == 200
    assert _values(headers, "cache-control") == [IMMUTABLE]


def test_the_shared_header_stops_at_the_edge(cdn_edge: harness.RunningNginx, upstream: Upstream) -> None:
    for path in ("/api/v1/lessons", "/ws", "/"):
        status, _ = _get(cdn_edge, path, {HEADER: SECRET})
        assert status == 200
        assert upstream.seen[-1]["path"] == path
        assert HEADER.lower() not in upstream.seen[-1], path


def test_origin_host_is_served_and_the_secret_stays_out_of_nginx_conf(cdn_edge: harness.RunningNginx) -> None:
    status, _ = _get(cdn_edge, "/", {HEADER: SECRET}, host="origin.shikshasetu.example.org")
    assert status == 200
    assert SECRET not in cdn_edge.conf
    assert "S3cret" not in cdn_edge.conf


def test_addresses_outside_the_cdn_ranges_are_refused(
    nginx_bin: str, upstream: Upstream, tmp_path: Path
) -> None:
    cdn = parse_estate({"target": "docker-host", "cdn": {**CDN, "allowedRanges": ["192.0.2.0/24"]}}).cdn
    with _nginx(nginx_bin, tmp_path, upstream, cdn) as running:
        status, _ = _get(running, "/api/v1/lessons", {HEADER: SECRET})
    assert status == 403


@pytest.mark.parametrize("secret", ["", "short", "sixteen chars!!!", "tab\there-and-long-enough", "x" * 257])
def test_a_weak_or_unsendable_secret_is_refused(secret: str) -> None:
    cdn = parse_estate({"target": "docker-host", "cdn": CDN}).cdn
    with pytest.raises(NginxConfigError, match="shiksha-setu:cdnOriginAuth"):
        origin_auth_map(cdn, secret)


@pytest.mark.parametrize("field", ["immutable", "revalidate", "private"])
def test_an_nginx_variable_in_a_cache_value_is_refused(field: str) -> None:
    # The model refuses it first; the renderer's own check stands behind it (built unvalidated here).
    cache = CacheControlSpec.model_construct(**{field: "max-age=$request_uri"})
    cdn = CdnSpec.model_construct(cache_control=cache)
    edge = _edge()
    paths = NginxPaths(pid="/p", cert="/c", key="/k", trusted_cert="/c", temp_dir="/t")
    with pytest.raises(UnquotableError, match=f"cdn.cacheControl.{field}"):
        render_nginx_conf(
            edge, harness.loopback_settings(), {"api": "a:1", "frontend": "f:1"}, paths, cdn=cdn
        )


def test_cache_control_off_keeps_the_upstreams_header(
    nginx_bin: str, upstream: Upstream, tmp_path: Path
) -> None:
    cdn = CdnSpec.model_validate({"cacheControl": {"enabled": False}})
    with _nginx(nginx_bin, tmp_path, upstream, cdn) as running:
        _status, headers = _get(running, "/assets/app-3f9a1c.js", {"Accept-Encoding": "gzip"})
    assert _values(headers, "cache-control") == ["max-age=60"]
    assert _values(headers, "vary") == ["Accept-Encoding"]
