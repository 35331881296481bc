"""ingress-nginx mode: Ingresses with the controller's annotations, headers from a ConfigMap.

Expected values are the changelog's edge written out here, not read from the code.
"""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest

from components.config.loader import parse_estate
from components.targets.kubernetes import allowed_response_headers
from tests.ingress.support import BLOCKED, by_kind, edge_objects
from tests.support.program import Snapshot, run_program

KUBERNETES_VERSION = "1.34.0"
NS = "shiksha-setu"
HOST = "shikshasetu.example.org"
A = "nginx.ingress.kubernetes.io/"

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(self), geolocation=(), payment=()",
}
# What ingress-nginx's custom-headers parser accepts (internal/ingress/annotations/
# customheaders): anything else and the controller denies the whole location.
HEADER_NAME = re.compile(r"^[a-zA-Z\d\-_]+$")
HEADER_VALUE = re.compile(r"^[a-zA-Z\d_ :;.,\\/\"'?!(){}\[\]@<>=\-+*#$&`|~^%]+$")


@pytest.fixture(scope="module")
def nginx() -> Snapshot:
    return run_program("prod", overrides={"ingress": {"mode": "ingress-nginx"}})


def paths(ingress: dict[str, Any]) -> dict[str, tuple[str, int]]:
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == HOST
    return {
        p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
        for p in rule["http"]["paths"]
        if p["pathType"] == "Prefix"
    }


# Cache-Control by path class (cdn.cacheControl, on by default), written out from docs/cdn.md.
NO_STORE, NO_CACHE, IMMUTABLE = "no-store", "no-cache", "public, max-age=31536000, immutable"
VARY = "Accept-Encoding, Origin"
# Ingress -> its headers ConfigMap: one Ingress per timeout class and cache class.
CONFIG_MAPS = {
    "shiksha-setu": "edge-security-headers",
    "shiksha-setu-revalidate": "edge-security-headers-revalidate",
    "shiksha-setu-immutable": "edge-security-headers-immutable",
    "shiksha-setu-blocked": "edge-security-headers",
    "shiksha-setu-ml": "edge-security-headers",
    "shiksha-setu-streaming": "edge-security-headers",
}


def test_the_edge_is_an_ingress_per_timeout_and_cache_class_and_a_config_map_per_cache_class(
    nginx: Snapshot,
) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in edge_objects(nginx))
    assert kinds == [
        ("ConfigMap", "edge-security-headers"),
        ("ConfigMap", "edge-security-headers-immutable"),
        ("ConfigMap", "edge-security-headers-revalidate"),
        ("Ingress", "shiksha-setu"),
        ("Ingress", "shiksha-setu-blocked"),
        ("Ingress", "shiksha-setu-immutable"),
        ("Ingress", "shiksha-setu-ml"),
        ("Ingress", "shiksha-setu-revalidate"),
        ("Ingress", "shiksha-setu-streaming"),
    ]
    for obj in edge_objects(nginx):
        assert obj["metadata"]["namespace"] == NS
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shiksha-setu"


def test_every_path_is_in_exactly_one_ingress_with_its_backend(nginx: Snapshot) -> None:
    ingresses = by_kind(nginx, "Ingress")
    assert paths(ingresses["shiksha-setu"]) == {"/api": ("api", 8000)}
    assert paths(ingresses["shiksha-setu-revalidate"]) == {"/": ("frontend", 3000)}
    # The hashed assets: a path of their own, sent where "/" goes.
    assert paths(ingresses["shiksha-setu-immutable"]) == {"/assets/": ("frontend", 3000)}
    assert paths(ingresses["shiksha-setu-ml"]) == {"/api/v2/ml": ("api", 8000), "/api/v2/chat": ("api", 8000)}
    assert paths(ingresses["shiksha-setu-streaming"]) == {
        "/api/v2/chat/stream": ("api", 8000),
        "/ws": ("api", 8000),
    }
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "nginx"


def test_only_the_ml_paths_wait_600_seconds(nginx: Snapshot) -> None:
    notes = {name: i["metadata"]["annotations"] for name, i in by_kind(nginx, "Ingress").items()}
    timeouts = {
        name: (a[A + "proxy-read-timeout"], a[A + "proxy-send-timeout"], a[A + "proxy-connect-timeout"])
        for name, a in notes.items()
    }
    assert timeouts == {
        "shiksha-setu": ("60", "60", "5"),
        "shiksha-setu-revalidate": ("60", "60", "5"),
        "shiksha-setu-immutable": ("60", "60", "5"),
        "shiksha-setu-blocked": ("60", "60", "5"),
        "shiksha-setu-ml": ("600", "600", "5"),
        "shiksha-setu-streaming": ("3600", "3600", "5"),
    }
    streaming = notes["shiksha-setu-streaming"]
    assert streaming[A + "proxy-http-version"] == "1.1"
    assert streaming[A + "proxy-buffering"] == "off"
    assert A + "proxy-buffering" not in notes["shiksha-setu"]


def test_limits_cors_redirect_and_headers_on_every_ingress(nginx: Snapshot) -> None:
    for name, ingress in by_kind(nginx, "Ingress").items():
        notes = ingress["metadata"]["annotations"]
        expected = {
            "limit-rps": "20",
            "limit-burst-multiplier": "5",
            "limit-connections": "20",
            "enable-cors": "true",
            "cors-allow-origin": "https://shikshasetu.example.org",
            "cors-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "cors-allow-headers": "Authorization, Content-Type, X-Request-ID",
            "cors-allow-credentials": "true",
            "cors-max-age": "600",
            "ssl-redirect": "true",
            "force-ssl-redirect": "true",
            "proxy-body-size": "25m",
            "custom-headers": f"{NS}/{CONFIG_MAPS[name]}",
        }
        assert {key: notes.get(A + key) for key in expected} == expected, name
        assert not [key for key in notes if "snippet" in key], name


def test_security_headers_come_from_every_config_map(nginx: Snapshot) -> None:
    config_maps = by_kind(nginx, "ConfigMap")
    assert set(config_maps) == set(CONFIG_MAPS.values())
    for cm_name, config_map in config_maps.items():
        data = config_map["data"]
        assert {k: data[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS, cm_name
        csp = [d.strip() for d in data["Content-Security-Policy"].split(";")]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
        ):
            assert directive in csp, cm_name
        for name, value in data.items():
            assert HEADER_NAME.match(name), name
            assert HEADER_VALUE.match(value), f"ingress-nginx would refuse {name}: {value!r}"


def test_cache_control_by_path_class(nginx: Snapshot) -> None:
    config_maps = by_kind(nginx, "ConfigMap")
    served: dict[str, tuple[str, str | None]] = {}
    for ingress in by_kind(nginx, "Ingress").values():
        cm = ingress["metadata"]["annotations"][A + "custom-headers"].removeprefix(f"{NS}/")
        data = config_maps[cm]["data"]
        for path in paths(ingress):
            served[path] = (data["Cache-Control"], data.get("Vary"))
    expected = {
        "/assets/": (IMMUTABLE, VARY),
        "/": (NO_CACHE, VARY),
        # The API, ML, streams and the blocked probes: never stored, the backend's Vary kept.
        **dict.fromkeys(
            ["/api", "/api/v2/ml", "/api/v2/chat", "/api/v2/chat/stream", "/ws"], (NO_STORE, None)
        ),
        **dict.fromkeys(BLOCKED, (NO_STORE, None)),
    }
    assert served == expected


def test_without_cache_classes_the_edge_is_as_before() -> None:
    snapshot = run_program(
        "prod", overrides={"ingress": {"mode": "ingress-nginx"}, "cdn": {"cacheControl": {"enabled": False}}}
    )
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in edge_objects(snapshot))
    assert kinds == [
        ("ConfigMap", "edge-security-headers"),
        ("Ingress", "shiksha-setu"),
        ("Ingress", "shiksha-setu-blocked"),
        ("Ingress", "shiksha-setu-ml"),
        ("Ingress", "shiksha-setu-streaming"),
    ]
    assert set(by_kind(snapshot, "ConfigMap")["edge-security-headers"]["data"]) == {
        *SECURITY_HEADERS,
        "Content-Security-Policy",
    }
    assert paths(by_kind(snapshot, "Ingress")["shiksha-setu"]) == {
        "/api": ("api", 8000),
        "/": ("frontend", 3000),
    }
    allowed = allowed_response_headers(
        parse_estate({"ingress": {"mode": "ingress-nginx"}, "cdn": {"cacheControl": {"enabled": False}}})
    )
    assert sorted(allowed.split(",")) == sorted([*SECURITY_HEADERS, "Content-Security-Policy"])


def test_the_stacks_cache_values_and_prefixes_reach_the_config_maps() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "ingress": {"mode": "ingress-nginx"},
            "cdn": {
                "cacheControl": {
                    "immutablePrefixes": ["/assets/", "/fonts/"],
                    "immutable": "public, max-age=604800, immutable",
                    "revalidate": "no-cache, must-revalidate",
                }
            },
        },
    )
    ingresses, config_maps = by_kind(snapshot, "Ingress"), by_kind(snapshot, "ConfigMap")
    assert paths(ingresses["shiksha-setu-immutable"]) == {
        "/assets/": ("frontend", 3000),
        "/fonts/": ("frontend", 3000),
    }
    assert config_maps["edge-security-headers-immutable"]["data"]["Cache-Control"] == (
        "public, max-age=604800, immutable"
    )
    assert config_maps["edge-security-headers-revalidate"]["data"]["Cache-Control"] == (
        "no-cache, must-revalidate"
    )


def test_the_controller_is_told_which_headers_to_allow(nginx: Snapshot) -> None:
    # The controller refuses custom headers it was not told to allow (global-allowed-response-headers).
    allowed = allowed_response_headers(parse_estate({"ingress": {"mode": "ingress-nginx"}})).split(",")
    assert sorted(allowed) == sorted([*SECURITY_HEADERS, "Content-Security-Policy", "Cache-Control", "Vary"])
    # Every header any ConfigMap sets is listed (else its Ingresses' locations answer 503).
    for config_map in by_kind(nginx, "ConfigMap").values():
        assert set(config_map["data"]) <= set(allowed)


def test_tls_for_every_host_and_one_certificate_request(nginx: Snapshot) -> None:
    ingresses = by_kind(nginx, "Ingress")
    for ingress in ingresses.values():
        assert ingress["spec"]["tls"] == [{"hosts": [HOST], "secretName": "shiksha-setu-tls"}]
    issuers = {
        name: i["metadata"]["annotations"].get("cert-manager.io/cluster-issuer")
        for name, i in ingresses.items()
    }
    assert issuers == {
        "shiksha-setu": "letsencrypt-prod",
        "shiksha-setu-revalidate": None,
        "shiksha-setu-immutable": None,
        "shiksha-setu-blocked": None,
        "shiksha-setu-ml": None,
        "shiksha-setu-streaming": None,
    }


def test_every_edge_object_validates_strictly(nginx: Snapshot) -> None:
    for obj in edge_objects(nginx):
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {error.message} at {list(error.path)}")


def test_more_hosts_and_origins_reach_every_ingress() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "ingress": {"mode": "ingress-nginx", "certManager": {"issuerKind": "Issuer"}},
            "edge": {
                "hosts": [HOST, "www.shikshasetu.example.org"],
                "cors": {"allowedOrigins": ["https://shikshasetu.example.org", "https://admin.example.org"]},
                "rateLimits": {"requestsPerSecond": 50, "connectionsPerClient": 10, "burstMultiplier": 3},
                "timeouts": {"mlReadSeconds": 900, "mlSendSeconds": 300},
            },
        },
    )
    ingresses = by_kind(snapshot, "Ingress")
    for ingress in ingresses.values():
        assert [r["host"] for r in ingress["spec"]["rules"]] == [HOST, "www.shikshasetu.example.org"]
        assert ingress["spec"]["tls"][0]["hosts"] == [HOST, "www.shikshasetu.example.org"]
        notes = ingress["metadata"]["annotations"]
        assert notes[A + "cors-allow-origin"] == "https://shikshasetu.example.org, https://admin.example.org"
        assert (
            notes[A + "limit-rps"],
            notes[A + "limit-connections"],
            notes[A + "limit-burst-multiplier"],
        ) == (
            "50",
            "10",
            "3",
        )
    ml = ingresses["shiksha-setu-ml"]["metadata"]["annotations"]
    assert (ml[A + "proxy-read-timeout"], ml[A + "proxy-send-timeout"]) == ("900", "300")
    assert (
        ingresses["shiksha-setu"]["metadata"]["annotations"]["cert-manager.io/issuer"] == "letsencrypt-prod"
    )


def test_attack_paths_are_denied_to_every_client_without_snippets(nginx: Snapshot) -> None:
    ingresses = by_kind(nginx, "Ingress")
    blocked = ingresses["shiksha-setu-blocked"]
    assert blocked["metadata"]["annotations"][A + "denylist-source-range"] == "0.0.0.0/0,::/0"
    assert sorted(paths(blocked)) == sorted(BLOCKED)
    # Only this Ingress denies anyone; the others serve every client.
    for name, ingress in ingresses.items():
        if name != "shiksha-setu-blocked":
            assert A + "denylist-source-range" not in ingress["metadata"]["annotations"], name
    assert "cert-manager.io/cluster-issuer" not in blocked["metadata"]["annotations"]
