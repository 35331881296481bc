"""The cdn section: its checks, its secret, and the docker-host edge under Pulumi's mocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.cdn import class_of, path_classes
from components.config.errors import ConfigError
from components.config.loader import parse_estate
from tests.support.program import TEST_SECRETS, run_program

ORIGIN_SECRET = "cdn-origin-Secret-5e8b-0123456789"
CDN = {"enabled": True, "originHost": "origin.shikshasetu.example.org", "allowedRanges": ["203.0.113.0/24"]}


def test_defaults_cache_by_class_and_no_cdn() -> None:
    config = parse_estate({})
    assert config.cdn.enabled is False
    classes = path_classes(config.edge, config.cdn)
    assert [(c.prefix, c.cache_class, c.backend) for c in classes] == [
        ("/assets/", "immutable", "frontend"),
        ("/api", "private", "api"),
        ("/ws", "private", "api"),
        ("/", "revalidate", "frontend"),
    ]
    assert class_of("/assets/app.js", classes) == "immutable"
    assert class_of("/api/v2/chat/stream", classes) == "private"
    assert class_of("/about", classes) == "revalidate"


# The API's own path classes, removed with the API's routes (restating them empty is refused).
NO_API_PATHS = {
    "websocketPathsRemove": ["/ws"],
    "mlPathsRemove": ["/api/v2/ml", "/api/v2/chat"],
    "streamPathsRemove": ["/api/v2/chat/stream"],
}


def test_default_hashed_prefix_is_skipped_where_no_static_backend_serves_it() -> None:
    # A stack whose "/" goes elsewhere never set cdn: no error, and nothing becomes immutable.
    routes = {"/api": None, "/ws": None, "/": {"backend": "api"}}
    config = parse_estate({"edge": {"routes": routes, **NO_API_PATHS}})
    classes = path_classes(config.edge, config.cdn)
    assert [(c.prefix, c.cache_class) for c in classes] == [("/", "private")]
    assert class_of("/assets/app.js", classes) == "private"


def test_a_new_api_route_is_never_cached() -> None:
    routes = {"/api": None, "/ws": None, "/graphql": {"backend": "api"}}
    config = parse_estate({"edge": {"routes": routes, **NO_API_PATHS}})
    assert class_of("/graphql", path_classes(config.edge, config.cdn)) == "private"


@pytest.mark.parametrize(
    ("cdn", "key", "fragment"),
    [
        ({"enabled": True}, "cdn", "allowedRanges"),
        ({**CDN, "allowedRanges": ["0.0.0.0/0"]}, "cdn.allowedRanges[0]", "anyone"),
        ({**CDN, "allowedRanges": ["::/0"]}, "cdn.allowedRanges[0]", "anyone"),
        ({**CDN, "allowedRanges": ["203.0.113.7/24"]}, "cdn.allowedRanges[0]", "CIDR"),
        ({**CDN, "originHost": "Origin..example"}, "cdn.originHost", "DNS name"),
        ({**CDN, "originAuthHeader": "Authorization"}, "cdn.originAuthHeader", "already uses"),
        ({**CDN, "originAuthHeader": "X-Auth: x"}, "cdn.originAuthHeader", "header name"),
        (
            {"cacheControl": {"immutablePrefixes": ["/api/static/"]}},
            "cdn.cacheControl.immutablePrefixes[0]",
            "'api'",
        ),
        (
            {"cacheControl": {"immutablePrefixes": ["/a ssets/"]}},
            "cdn.cacheControl.immutablePrefixes[0]",
            "URL path",
        ),
        (
            {"cacheControl": {"staticBackends": ["web"]}},
            "cdn.cacheControl.staticBackends[0]",
            "names no workload",
        ),
        ({"cacheControl": {"immutable": "public\nX-Injected: 1"}}, "cdn.cacheControl.immutable", "printable"),
        ({"cacheControl": {"private": "no-store$uri"}}, "cdn.cacheControl.private", "without '$'"),
        ({"cacheControl": {"revalidate": ""}}, "cdn.cacheControl.revalidate", "printable"),
        ({**CDN, "allowedRanges": ["\uff11\uff10.0.0.0/8"]}, "cdn.allowedRanges[0]", "CIDR"),
        ({**CDN, "originAuthHeader": "X-\u00c4uth"}, "cdn.originAuthHeader", "header name"),
    ],
)
def test_bad_cdn_config_names_the_key(cdn: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_estate({"cdn": cdn})
    message = str(caught.value)
    assert f"shiksha-setu:{key}" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("ingress", "fragment"),
    [
        ({"mode": "ingress-nginx"}, "ingress-nginx cannot require the origin-auth header"),
        ({"gatewayApi": {"policyProvider": "none"}}, "nothing would enforce"),
        ({"gatewayApi": {"policyProvider": "traefik"}}, "'traefik' attaches no origin policy"),
    ],
)
def test_a_cdn_needs_an_edge_that_can_enforce_it(ingress: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_estate({"cdn": CDN, "ingress": ingress})


def test_the_origin_secret_is_required_and_must_be_secret() -> None:
    missing = run_program("prod", overrides={"cdn": CDN}, raise_errors=False)
    assert "shiksha-setu:cdnOriginAuth: required secret is missing" in str(missing.error)
    assert missing.resources == [] or all(r.type.startswith("pulumi:") for r in missing.resources)
    plain = run_program(
        "prod", overrides={"cdn": CDN}, plaintext={"cdnOriginAuth": ORIGIN_SECRET}, raise_errors=False
    )
    assert "shiksha-setu:cdnOriginAuth: is stored in plaintext" in str(plain.error)


def test_docker_host_edge_gets_the_secret_only_as_a_secret_file() -> None:
    snapshot = run_program(
        "prod",
        overrides={"target": "docker-host", "cdn": CDN},
        secrets={**TEST_SECRETS, "cdnOriginAuth": ORIGIN_SECRET},
    )
    [nginx] = [r for r in snapshot.of_type("docker:index/container:Container") if r.name == "nginx"]
    envs = nginx.inputs["envs"]
    # The include file, regex-escaped and quoted (the live nginx test proves what it matches).
    holding = [index for index, item in enumerate(envs) if ORIGIN_SECRET in item.replace("\\", "")]
    assert len(holding) == 1
    assert "map $http_x_shiksha_origin_auth $cdn_origin_authorized" in envs[holding[0]]
    assert f"envs[{holding[0]}]" in nginx.secret_paths
    conf = next(item for item in envs if "worker_rlimit_nofile" in item)
    assert ORIGIN_SECRET not in conf
    assert ORIGIN_SECRET not in conf.replace("\\", "")
    assert 'include "/etc/nginx/generated/cdn-origin-auth.conf";' in conf
    assert 'allow "203.0.113.0/24";' in conf
    assert 'server_name "shikshasetu.example.org" "origin.shikshasetu.example.org";' in conf
    assert "/etc/nginx/generated/cdn-origin-auth.conf" in nginx.inputs["entrypoints"][2]
