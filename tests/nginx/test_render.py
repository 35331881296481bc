"""The rendered nginx.conf carries every setting of the typed config; bad input is refused
with an error naming the config key."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest

from components.config.docker_host import NginxSettings
from components.config.edge import EdgeSpec
from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.render.nginx import Listen, NginxConfigError, NginxPaths, render_nginx_conf
from components.render.quoting import UnquotableError
from tests.support.program import run_program

PATHS = NginxPaths(
    pid="/tmp/n.pid",
    cert="/tls/tls.crt",
    key="/tls/tls.key",
    trusted_cert="/tls/chain.crt",
    temp_dir="/tmp/nginx",
)
UPSTREAMS = {"api": "api:8000", "frontend": "frontend:3000"}


def _render(edge: EdgeSpec | None = None, settings: NginxSettings | None = None, **kwargs: Any) -> str:
    config = parse_estate({"target": "docker-host"})
    return render_nginx_conf(
        edge or config.edge,
        settings or config.docker_host.nginx,
        kwargs.pop("upstreams", UPSTREAMS),
        PATHS,
        **kwargs,
    )


def _directives(text: str, name: str) -> list[str]:
    """The arguments of every `name` directive, unquoted as NGINX reads them, space-joined."""
    found = re.finditer(rf'^\s*{re.escape(name)}\s+((?:"(?:[^"\\]|\\.)*"|[^;{{"])*)[;{{]', text, re.M)
    return [" ".join(shlex.split(m.group(1))) for m in found]


def test_worker_and_file_tuning_from_settings() -> None:
    settings = NginxSettings()
    text = _render()
    assert _directives(text, "worker_rlimit_nofile") == [str(settings.worker_rlimit_nofile)] == ["65535"]
    assert _directives(text, "worker_connections") == ["4096"]
    pool = settings.thread_pool
    assert _directives(text, "thread_pool") == [
        f"{pool.name} threads={pool.threads} max_queue={pool.max_queue}"
    ]
    assert _directives(text, "aio") == [f"threads={pool.name}"]
    assert _directives(text, "open_file_cache") == ["max=10000 inactive=30s"]
    assert _directives(text, "gzip_comp_level") == [str(settings.gzip_level)]


def test_gzip_types_cover_the_text_types() -> None:
    types = _directives(_render(), "gzip_types")[0].split()
    for mime in (
        "application/json",
        "application/javascript",
        "text/css",
        "image/svg+xml",
        "text/event-stream",
    ):
        if mime == "text/event-stream":
            # Streams are never compressed: gzip would hold events back.
            assert mime not in types
        else:
            assert mime in types


def test_access_log_is_json() -> None:
    text = _render()
    fmt = re.search(r"log_format json_combined escape=json '(.*)';", text)
    assert fmt is not None
    # Substitute every variable: what remains must be one JSON object.
    record = json.loads(re.sub(r"\$[a-z_0-9]+", "x", fmt.group(1)))
    assert {"time", "request_id", "status", "upstream_response_time", "uri"} <= set(record)


def test_tls_settings() -> None:
    edge = parse_estate({}).edge
    text = _render()
    assert _directives(text, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    assert _directives(text, "ssl_session_tickets") == ["off"]
    assert _directives(text, "ssl_stapling") == ["on"]
    assert _directives(text, "ssl_stapling_verify") == ["on"]
    assert _directives(text, "resolver")[0].startswith("127.0.0.11 ")
    suites = _directives(text, "ssl_conf_command")[0].split()
    assert suites[0] == "Ciphersuites" and "TLS_CHACHA20_POLY1305_SHA256" in suites[1]
    tls12 = _directives(text, "ssl_ciphers")[0].split(":")
    assert set(tls12) | set(suites[1].split(":")) == set(edge.tls.ciphers.split(":"))


def test_rate_and_connection_limits() -> None:
    edge = parse_estate({}).edge
    text = _render()
    zones = _directives(text, "limit_req_zone")
    assert f"zone=per_client:10m rate={int(edge.rate_limits.requests_per_second)}r/s" in zones[1]
    assert "zone=global" in zones[0]
    burst = int(edge.rate_limits.requests_per_second * edge.rate_limits.burst_multiplier)
    assert f"zone=per_client burst={burst} delay={burst // 2}" in _directives(text, "limit_req")
    assert f"conn_per_client {edge.rate_limits.connections_per_client}" in _directives(text, "limit_conn")
    assert any(d.startswith("conn_per_server ") for d in _directives(text, "limit_conn"))
    assert _directives(text, "limit_req_status") == [str(edge.rate_limits.status_code)]


def test_fractional_rates_go_per_minute() -> None:
    edge = parse_estate({"edge": {"rateLimits": {"requestsPerSecond": 0.5}}}).edge
    assert "rate=30r/m" in _directives(_render(edge), "limit_req_zone")[1]


def test_stream_and_ml_locations() -> None:
    text = _render()
    stream = re.search(r'location "/api/v2/chat/stream" \{(.*?)\n        \}', text, re.S)
    assert stream is not None
    assert "proxy_buffering off;" in stream.group(1)
    assert "proxy_read_timeout 3600s;" in stream.group(1)
    ml = re.search(r'location "/api/v2/ml" \{(.*?)\n        \}', text, re.S)
    assert ml is not None and "proxy_read_timeout 600s;" in ml.group(1)


def test_root_user_directive_only_when_asked() -> None:
    assert "user " not in _render().split("events")[0]
    assert _directives(_render(user="root"), "user") == ["root"]


def test_redirect_keeps_a_non_default_port() -> None:
    text = _render(listen=Listen(https_port=8443, public_https_port=8443))
    assert "return 301 https://$host:8443$request_uri;" in text


# Bad input: each refused with the config key in the message.


def _config_error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_estate(values)
    return str(caught.value)


def test_upstream_without_port_is_refused() -> None:
    message = _config_error({"dockerHost": {"nginx": {"upstreams": {"api": "api.internal"}}}})
    assert "shiksha-setu:dockerHost.nginx.upstreams.api: got 'api.internal'" in message
    assert "explicit port" in message
    with pytest.raises(NginxConfigError, match=r'edge\.routes\["/"\]\.backend: got \'frontend\''):
        _render(upstreams={"api": "api:8000"})


@pytest.mark.parametrize("value", [0, -5, "fast"])
def test_non_positive_rate_is_refused(value: Any) -> None:
    message = _config_error({"edge": {"rateLimits": {"requestsPerSecond": value}}})
    assert f"shiksha-setu:edge.rateLimits.requestsPerSecond: got {value!r}" in message


@pytest.mark.parametrize("protocol", ["TLSv1", "TLSv1.1", "SSLv3"])
def test_old_tls_protocol_is_refused(protocol: str) -> None:
    message = _config_error({"edge": {"tls": {"protocols": ["TLSv1.2", protocol]}}})
    assert f"shiksha-setu:edge.tls.protocols[1]: got {protocol!r}" in message


def test_header_value_with_newline_is_refused() -> None:
    message = _config_error({"edge": {"headers": {"contentSecurityPolicy": "default-src 'self'\nX-Evil: 1"}}})
    assert "shiksha-setu:edge.headers.contentSecurityPolicy" in message
    assert "newline" in message
    # The renderer's quoting refuses it too, should a model be built around the validator.
    edge = EdgeSpec.model_construct(
        **{
            **dict(EdgeSpec()),
            "headers": EdgeSpec().headers.model_construct(
                **{**dict(EdgeSpec().headers), "x_frame_options": "DENY\r\nSet-Cookie: x"}
            ),
        }
    )
    with pytest.raises(UnquotableError, match=r"edge\.headers\.xFrameOptions: got"):
        _render(edge)


def test_bad_input_fails_the_program_before_any_resource() -> None:
    with pytest.raises(ConfigError, match=r"edge\.rateLimits\.requestsPerSecond"):
        run_program(
            "prod",
            overrides={
                "shiksha-setu:target": "docker-host",
                "shiksha-setu:edge": {"rateLimits": {"requestsPerSecond": 0}},
            },
        )
