"""Hostile values for everything that reaches nginx.conf: each is refused by the model
(key named, nothing registered), or rendered and proven harmless by a real NGINX: `nginx -t`
accepts the file, a live NGINX sends the value back literally and serves no injected server."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from components.config.defaults import deep_merge
from components.config.docker_host import NginxSettings
from components.config.edge import SecurityHeaders, TlsSettings
from components.render.quoting import NGINX_TOKEN_MAX, UnquotableError, nginx_string
from tests.nginx import harness
from tests.support.lists import replacing
from tests.support.ports import free_ports
from tests.support.tools import require_tool

from .hostile import HOSTILE, NGINX_SERVER_INJECTION, accepted, refusal

pytestmark = pytest.mark.nginx

DOCKER = {"target": "docker-host"}
HEADER_KEYS = [
    "strictTransportSecurity",
    "xFrameOptions",
    "xContentTypeOptions",
    "referrerPolicy",
    "permissionsPolicy",
    "contentSecurityPolicy",
]


def _header(name: str, hostile: str) -> dict[str, Any]:
    return {"edge": {"headers": {name: hostile}}}


# Config key -> where the hostile string goes (around a valid value, so the hostile part is
# the only thing wrong with it).
CASES: dict[str, Callable[[str], dict[str, Any]]] = {
    "edge.tls.ciphers": lambda h: {"edge": {"tls": {"ciphers": f"HIGH:{h}"}}},
    "dockerHost.nginx.resolvers[0]": lambda h: {"dockerHost": {"nginx": {"resolvers": [f"127.0.0.11{h}"]}}},
    "dockerHost.nginx.upstreams.api": lambda h: {
        "dockerHost": {"nginx": {"upstreams": {"api": f"api{h}:8000"}}}
    },
    **{f"edge.headers.{name}": partial(_header, name) for name in HEADER_KEYS},
    "edge.hosts[0]": lambda h: {"edge": {"hosts": [f"shikshasetu{h}.example.org"]}},
    "edge.cors.allowedOrigins[0]": lambda h: {
        "edge": {"cors": {"allowedOrigins": [f"https://app.example.org{h}"]}}
    },
    "edge.cors.allowedMethods[0]": lambda h: {"edge": {"cors": {"allowedMethods": [f"GET{h}"]}}},
    "edge.cors.allowedHeaders[0]": lambda h: {"edge": {"cors": {"allowedHeaders": [f"X-Trace{h}"]}}},
    # A path is a key of the routes map: the message names edge.routes["<the path>"].
    "edge.routes": lambda h: {"edge": {"routes": {"/api": None, f"/api{h}": {"backend": "api"}}}},
    "edge.mlPathsAdd[0]": lambda h: {"edge": replacing(("edge", "mlPaths"), [f"/api/v2/ml{h}"])},
    "edge.streamPathsAdd[0]": lambda h: {
        "edge": replacing(("edge", "streamPaths"), [f"/api/v2/chat/stream{h}"])
    },
    "edge.websocketPathsAdd[0]": lambda h: {"edge": replacing(("edge", "websocketPaths"), [f"/ws{h}"])},
    "edge.blockedPathsAdd[0]": lambda h: {"edge": replacing(("edge", "blockedPaths"), [f"/wp-admin{h}"])},
    "dockerHost.nginx.threadPool.name": lambda h: {
        "dockerHost": {"nginx": {"threadPool": {"name": f"pool{h}"}}}
    },
}


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    return require_tool("nginx")


@pytest.fixture(scope="module")
def upstream() -> Iterator[harness.Upstream]:
    server = harness.Upstream().start()
    yield server
    server.stop()


def _nginx_t(nginx_bin: str, conf: Path) -> subprocess.CompletedProcess[str]:
    command = [nginx_bin, "-t", "-p", str(conf.parent), "-c", str(conf)]
    return subprocess.run(command, capture_output=True, text=True)


def _header_lines(headers: list[tuple[bytes, bytes]], name: str) -> list[bytes]:
    return [value for key, value in headers if key.lower() == name.lower().encode()]


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_value_is_refused_or_served_literally(
    hostile: str, nginx_bin: str, upstream: harness.Upstream, tmp_path: Path
) -> None:
    value = HOSTILE[hostile]
    merged: dict[str, Any] = dict(DOCKER)
    for key, place in CASES.items():
        if refusal(deep_merge(DOCKER, place(value)), key) is None:
            merged = deep_merge(merged, place(value))
    # Every key that accepted the value, in one estate behind one live NGINX.
    config = accepted(merged)
    edge = config.edge.model_copy(
        update={"rate_limits": config.edge.rate_limits.model_copy(update={"requests_per_second": 1000})}
    )
    http_port, https_port = free_ports(2)
    address = f"127.0.0.1:{upstream.port}"
    conf = harness.write_config(tmp_path, edge, config.docker_host.nginx, address, https_port, http_port)
    check = _nginx_t(nginx_bin, conf)
    assert check.returncode == 0, check.stderr
    with harness.running_nginx(nginx_bin, conf, http_port, https_port) as live:
        origin = {"Origin": edge.cors.allowed_origins[0]}
        _, headers = harness.raw_get(live.https_port, tmp_path / "tls.crt", "/", origin)
    for name, sent in edge.headers.as_headers().items():
        assert _header_lines(headers, name) == [sent.encode()], name
    methods = ", ".join(edge.cors.allowed_methods)
    assert _header_lines(headers, "Access-Control-Allow-Methods") == [methods.encode()]
    assert _header_lines(headers, "Access-Control-Allow-Origin") == [edge.cors.allowed_origins[0].encode()]


def test_directive_injection_in_a_header_value_is_a_header(
    nginx_bin: str, upstream: harness.Upstream, tmp_path: Path
) -> None:
    """Quotes, `;`, braces and `#` pass the model in a header value: NGINX must send them as
    text and open no listener for the server block they spell."""
    port, http_port, https_port = free_ports(3)
    injection = f'x"; }} server {{ listen 127.0.0.1:{port}; return 200 injected; }} #'
    values = deep_merge(DOCKER, {"edge": {"headers": {"referrerPolicy": injection}}})
    assert refusal(values, "edge.headers.referrerPolicy") is None
    config = accepted(values)
    conf = harness.write_config(
        tmp_path, config.edge, config.docker_host.nginx, f"127.0.0.1:{upstream.port}", https_port, http_port
    )
    with harness.running_nginx(nginx_bin, conf, http_port, https_port) as live:
        _, headers = harness.raw_get(live.https_port, tmp_path / "tls.crt", "/api/x")
        assert _header_lines(headers, "Referrer-Policy") == [injection.encode()]
        assert not harness.listening(port)


@pytest.mark.parametrize(
    ("key", "values"),
    [
        # The samples.
        ("edge.tls.ciphers", {"edge": {"tls": {"ciphers": NGINX_SERVER_INJECTION.format(port=59999)}}}),
        (
            "dockerHost.nginx.resolvers[0]",
            {"dockerHost": {"nginx": {"resolvers": ["127.0.0.11; server { listen 127.0.0.1:59999; } #"]}}},
        ),
        ("edge.headers.referrerPolicy", {"edge": {"headers": {"referrerPolicy": "$http_cookie"}}}),
        (
            "edge.headers.contentSecurityPolicy",
            {"edge": {"headers": {"contentSecurityPolicy": "%REQ(Cookie)%"}}},
        ),
        ("edge", {"edge": {"streamPaths": ["/ws"], "websocketPaths": ["/ws"]}}),
        ("edge.streamPaths", {"edge": {"streamPaths": ["/api/s", "/api/s"]}}),
        # Relatives: values NGINX would refuse or misread.
        ("edge.tls.ciphers", {"edge": {"tls": {"ciphers": "NO-SUCH-CIPHER"}}}),
        ("edge.tls.ciphers", {"edge": {"tls": {"ciphers": "TLS_FAKE_SUITE:HIGH"}}}),
        ("edge.tls.ciphers", {"edge": {"tls": {"ciphers": "HIGH MEDIUM"}}}),
        ("dockerHost.nginx.resolvers[0]", {"dockerHost": {"nginx": {"resolvers": ["127.0.0.11 valid=1s"]}}}),
        ("dockerHost.nginx.resolvers[0]", {"dockerHost": {"nginx": {"resolvers": ["[fe80::zz]"]}}}),
        (
            "dockerHost.nginx.resolvers[0]",
            {"dockerHost": {"nginx": {"resolvers": ["127.0.0.11:\uff15\uff13"]}}},
        ),
        ("dockerHost.nginx.upstreams.api", {"dockerHost": {"nginx": {"upstreams": {"api": "api:8000\n"}}}}),
        ("edge.hosts[0]", {"edge": {"hosts": ["app.example.org\n"]}}),
        ("edge.hosts[0]", {"edge": {"hosts": ["*.example.org"]}}),
        (
            "edge.cors.allowedOrigins[0]",
            {"edge": {"cors": {"allowedOrigins": ["https://a.example.org:\u0668\u0660"]}}},
        ),
        ("edge.cors.allowedOrigins[0]", {"edge": {"cors": {"allowedOrigins": ["https://a.example.org\n"]}}}),
        ("edge.cors.allowedHeaders[0]", {"edge": {"cors": {"allowedHeaders": ["$http_cookie"]}}}),
        ("edge.cors.allowedMethods[0]", {"edge": {"cors": {"allowedMethods": ["GET, $http_cookie"]}}}),
        ("edge.rateLimits.requestsPerSecond", {"edge": {"rateLimits": {"requestsPerSecond": float("inf")}}}),
        ("edge.rateLimits.requestsPerSecond", {"edge": {"rateLimits": {"requestsPerSecond": float("nan")}}}),
        ("edge.rateLimits.requestsPerSecond", {"edge": {"rateLimits": {"requestsPerSecond": 0.001}}}),
        ("edge.rateLimits.connectionsPerClient", {"edge": {"rateLimits": {"connectionsPerClient": 70000}}}),
        ("edge.timeouts.readSeconds", {"edge": {"timeouts": {"readSeconds": 100000}}}),
        ("edge.maxBodySizeMb", {"edge": {"maxBodySizeMb": 10**30}}),
        ("dockerHost.nginx.workerConnections", {"dockerHost": {"nginx": {"workerConnections": 2**63}}}),
        ("dockerHost.nginx.upstreamKeepalive", {"dockerHost": {"nginx": {"upstreamKeepalive": 10**9}}}),
        ("edge.headers.xFrameOptions", {"edge": {"headers": {"xFrameOptions": "D" * 5000}}}),
    ],
)
def test_refused_naming_the_key(key: str, values: dict[str, Any]) -> None:
    assert refusal(deep_merge(DOCKER, values), key) is not None


@pytest.mark.parametrize(
    ("field", "injected"),
    [
        ("ciphers", "HIGH; server {{ listen 127.0.0.1:{port}; return 200 injected; }} #"),
        ("resolvers", "127.0.0.1; server {{ listen 127.0.0.1:{port}; return 200 injected; }} #"),
        ("referrer", 'x"; }} server {{ listen 127.0.0.1:{port}; return 200 injected; }} #'),
    ],
)
def test_quoting_alone_stops_directive_injection(
    field: str, injected: str, nginx_bin: str, upstream: harness.Upstream, tmp_path: Path
) -> None:
    """Defence in depth: with the model bypassed (model_construct), the renderer's quoting
    still keeps the injection a string. NGINX either refuses the file or serves no injected
    server."""
    port, http_port, https_port = free_ports(3)
    value = injected.format(port=port)
    edge = accepted(DOCKER).edge
    settings = harness.loopback_settings()
    if field == "ciphers":
        edge = edge.model_copy(
            update={"tls": TlsSettings.model_construct(**{**dict(edge.tls), "ciphers": value})}
        )
    elif field == "resolvers":
        settings = NginxSettings.model_construct(**{**dict(settings), "resolvers": [value]})
    else:
        headers = SecurityHeaders.model_construct(**{**dict(edge.headers), "referrer_policy": value})
        edge = edge.model_copy(update={"headers": headers})
    conf = harness.write_config(tmp_path, edge, settings, f"127.0.0.1:{upstream.port}", https_port, http_port)
    check = subprocess.run(
        [nginx_bin, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    if check.returncode != 0:
        # Refused as a whole: OpenSSL takes no cipher list "HIGH; server ...", and
        # "127.0.0.1; server ..." is no resolver host. Nothing runs, nothing is served.
        assert "[emerg]" in check.stderr
        return
    with harness.running_nginx(nginx_bin, conf, http_port, https_port):
        assert not harness.listening(port)


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_nginx_string_reads_back_exactly(hostile: str, nginx_bin: str, tmp_path: Path) -> None:
    """The quoting function against the real config reader: NGINX sends the quoted value
    back byte for byte, or the function refuses it (`$`, control characters, over-long)."""
    value = HOSTILE[hostile]
    try:
        quoted = nginx_string(value, "test.value")
    except UnquotableError as error:
        assert "test.value" in str(error)
        controls = [c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029"]
        assert "$" in value or controls or len(value) > NGINX_TOKEN_MAX
        return
    if value == "" or value != value.strip(" "):
        pytest.skip("HTTP drops an empty header and the spaces around a value")
    port, unused_http_port = free_ports(2)
    cert, key = harness.make_certificate(tmp_path)
    user = harness.nginx_user()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        (f"user {user};\n" if user else "")
        + f'pid "{tmp_path}/nginx.pid";\nerror_log "{tmp_path}/error.log";\nevents {{}}\n'
        f'http {{\n  access_log off;\n  client_body_temp_path "{tmp_path}/body";\n'
        f'  proxy_temp_path "{tmp_path}/proxy";\n'
        f"  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name {harness.HOST};\n"
        f'    ssl_certificate "{cert}";\n    ssl_certificate_key "{key}";\n'
        f"    add_header X-Hostile {quoted} always;\n    return 204;\n  }}\n}}\n"
    )
    with harness.running_nginx(nginx_bin, conf, unused_http_port, port):
        _, headers = harness.raw_get(port, cert, "/")
    assert _header_lines(headers, "X-Hostile") == [value.encode()]


def test_largest_values_the_model_accepts_still_load(
    nginx_bin: str, upstream: harness.Upstream, tmp_path: Path
) -> None:
    """Very long values: what the model lets through at its limits fits NGINX's 4 KiB
    parameters (long blocked-path regexes are split over several locations)."""
    quotes = '"' * 1000 + "\\" * 998 + "xx"  # 3998 once escaped, the model's limit
    blocked = [f"/scan{i:02d}/" + "a.b-" * 126 for i in range(64)]  # 512 characters each
    values = deep_merge(
        DOCKER,
        {
            "edge": {
                "headers": {"contentSecurityPolicy": quotes},
                **replacing(("edge", "blockedPaths"), blocked),
                "cors": {"allowedHeaders": [f"X-{i:02d}-" + "h" * 94 for i in range(32)]},
            }
        },
    )
    config = accepted(values)
    http_port, https_port = free_ports(2)
    conf = harness.write_config(
        tmp_path, config.edge, config.docker_host.nginx, f"127.0.0.1:{upstream.port}", https_port, http_port
    )
    assert _nginx_t(nginx_bin, conf).returncode == 0
    with harness.running_nginx(nginx_bin, conf, http_port, https_port) as live:
        _, headers = harness.raw_get(live.https_port, tmp_path / "tls.crt", "/api/x")
        status, _ = harness.raw_get(live.https_port, tmp_path / "tls.crt", blocked[63] + "/x")
    assert _header_lines(headers, "Content-Security-Policy") == [quotes.encode()]
    assert status == config.docker_host.nginx.blocked_status
    too_long = deep_merge(DOCKER, {"edge": {"headers": {"contentSecurityPolicy": quotes + "x"}}})
    assert refusal(too_long, "edge.headers.contentSecurityPolicy") is not None
