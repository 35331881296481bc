"""gateway-api mode (the prod default): Gateway, HTTPRoutes, and the Envoy Gateway policies
behind the extension point. Expected values are the changelog's edge written out here."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from tests.ingress.support import BLOCKED, by_kind, edge_objects, validate_custom_resource
from tests.support.lists import replacing
from tests.support.program import Snapshot, run_program

NS = "shiksha-setu"
HOST = "shikshasetu.example.org"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(self), geolocation=(), payment=()",
}


def rules_by_path(route: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rules that proxy somewhere, by their one path."""
    found = {}
    for rule in route["spec"]["rules"]:
        if "backendRefs" not in rule:
            continue
        [match] = rule["matches"]
        assert match["path"]["type"] == "PathPrefix"
        found[match["path"]["value"]] = rule
    return found


def test_prod_uses_gateway_api_with_no_ingress(prod: Snapshot) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in edge_objects(prod))
    assert kinds == [
        ("BackendTrafficPolicy", "shiksha-setu-rate-limit"),
        ("Gateway", "shiksha-setu"),
        ("HTTPRoute", "shiksha-setu"),
        ("HTTPRoute", "shiksha-setu-http-redirect"),
        ("SecurityPolicy", "shiksha-setu-cors"),
    ]
    assert [r for r in prod.kubernetes_objects() if r.kind == "Ingress"] == []
    for obj in edge_objects(prod):
        assert obj["metadata"]["namespace"] == NS
        assert obj["metadata"]["labels"]["app.kubernetes.io/component"] == "edge"


def test_gateway_terminates_tls_and_listens_on_http_only_to_redirect(prod: Snapshot) -> None:
    gateway = by_kind(prod, "Gateway")["shiksha-setu"]
    assert gateway["spec"]["gatewayClassName"] == "envoy-gateway"
    assert gateway["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["https-0"] == {
        "name": "https-0",
        "hostname": HOST,
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "shiksha-setu-tls"}]},
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }
    assert listeners["http-0"]["port"] == 80
    assert listeners["http-0"]["protocol"] == "HTTP"
    assert set(listeners) == {"https-0", "http-0"}

    redirect = by_kind(prod, "HTTPRoute")["shiksha-setu-http-redirect"]
    assert [p["sectionName"] for p in redirect["spec"]["parentRefs"]] == ["http-0"]
    assert redirect["spec"]["rules"] == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    ]
    # The HTTP listener serves nothing but the redirect.
    https = by_kind(prod, "HTTPRoute")["shiksha-setu"]
    assert [p["sectionName"] for p in https["spec"]["parentRefs"]] == ["https-0"]
    assert https["spec"]["hostnames"] == [HOST]


def test_every_rule_sets_the_security_headers(prod: Snapshot) -> None:
    route = by_kind(prod, "HTTPRoute")["shiksha-setu"]
    for path, rule in rules_by_path(route).items():
        [modifier] = [f for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"]
        headers = {h["name"]: h["value"] for h in modifier["responseHeaderModifier"]["set"]}
        assert {k: headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path


def test_only_the_ml_paths_wait_600_seconds(prod: Snapshot) -> None:
    rules = rules_by_path(by_kind(prod, "HTTPRoute")["shiksha-setu"])
    timeouts = {
        path: (rule["timeouts"]["request"], rule["timeouts"]["backendRequest"])
        for path, rule in rules.items()
    }
    assert timeouts == {
        "/api": ("60s", "60s"),
        "/": ("60s", "60s"),
        "/assets/": ("60s", "60s"),  # the hashed assets' own rule (Cache-Control, tests/cdn)
        "/api/v2/ml": ("600s", "600s"),
        "/api/v2/chat": ("600s", "600s"),
        # Streams and WebSockets stay open for the stream timeout.
        "/api/v2/chat/stream": ("3600s", "3600s"),
        "/ws": ("3600s", "3600s"),
    }
    backends = {path: [(b["name"], b["port"]) for b in rule["backendRefs"]] for path, rule in rules.items()}
    assert backends == {
        "/api": [("api", 8000)],
        "/": [("frontend", 3000)],
        "/assets/": [("frontend", 3000)],
        "/api/v2/ml": [("api", 8000)],
        "/api/v2/chat": [("api", 8000)],
        "/api/v2/chat/stream": [("api", 8000)],
        "/ws": [("api", 8000)],
    }


def test_rate_limit_and_cors_through_the_envoy_gateway_provider(prod: Snapshot) -> None:
    target = [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "shiksha-setu"}]
    limit = by_kind(prod, "BackendTrafficPolicy")["shiksha-setu-rate-limit"]["spec"]
    assert limit == {
        "targetRefs": target,
        "rateLimit": {"type": "Local", "local": {"rules": [{"limit": {"requests": 1000, "unit": "Second"}}]}},
    }
    cors = by_kind(prod, "SecurityPolicy")["shiksha-setu-cors"]["spec"]
    assert cors == {
        "targetRefs": target,
        "cors": {
            "allowOrigins": ["https://shikshasetu.example.org"],
            "allowMethods": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            "allowHeaders": ["Authorization", "Content-Type", "X-Request-ID"],
            "allowCredentials": True,
            "maxAge": "600s",
        },
    }


def test_provider_none_leaves_limits_and_cors_to_the_operators() -> None:
    snapshot = run_program("prod", overrides={"ingress": {"gatewayApi": {"policyProvider": "none"}}})
    assert sorted(o["kind"] for o in edge_objects(snapshot)) == ["Gateway", "HTTPRoute", "HTTPRoute"]


def test_two_hosts_get_a_listener_pair_each() -> None:
    hosts = [HOST, "www.shikshasetu.example.org"]
    snapshot = run_program(
        "prod", overrides={"edge": {"hosts": hosts}, "ingress": {"certManager": {"enabled": False}}}
    )
    gateway = by_kind(snapshot, "Gateway")["shiksha-setu"]
    assert [(listener["name"], listener["hostname"]) for listener in gateway["spec"]["listeners"]] == [
        ("https-0", HOST),
        ("http-0", HOST),
        ("https-1", "www.shikshasetu.example.org"),
        ("http-1", "www.shikshasetu.example.org"),
    ]
    assert "annotations" not in gateway["metadata"]
    routes = by_kind(snapshot, "HTTPRoute")
    assert [p["sectionName"] for p in routes["shiksha-setu"]["spec"]["parentRefs"]] == ["https-0", "https-1"]
    assert routes["shiksha-setu"]["spec"]["hostnames"] == hosts


def test_every_custom_resource_validates_against_its_shipped_crd(prod: Snapshot) -> None:
    objects = edge_objects(prod)
    assert {o["kind"] for o in objects} == {"Gateway", "HTTPRoute", "BackendTrafficPolicy", "SecurityPolicy"}
    for obj in objects:
        validate_custom_resource(obj)


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        # A typo'd field, a wrong enum value, a timeout in the wrong format, a bad unit.
        ("HTTPRoute", lambda o: o["spec"]["rules"][0].update({"timeout": {"request": "60s"}})),
        ("HTTPRoute", lambda o: o["spec"]["rules"][0]["matches"][0]["path"].update({"type": "Prefix"})),
        ("HTTPRoute", lambda o: o["spec"]["rules"][0]["timeouts"].update({"request": "60 seconds"})),
        ("Gateway", lambda o: o["spec"]["listeners"][0]["tls"].update({"mode": "Terminated"})),
        (
            "BackendTrafficPolicy",
            lambda o: o["spec"]["rateLimit"]["local"]["rules"][0]["limit"].update({"unit": "s"}),
        ),
    ],
)
def test_the_schemas_catch_a_mistake(prod: Snapshot, kind: str, mutate: Any) -> None:
    # Guards the validation above against validating nothing.
    # The HTTPS route (the one with matches and timeouts), or the only object of the kind.
    obj = copy.deepcopy(next(o for o in edge_objects(prod) if o["kind"] == kind and "redirect" not in str(o)))
    mutate(obj)
    with pytest.raises(jsonschema.ValidationError):
        validate_custom_resource(obj)


def test_no_edge_means_no_edge_objects_and_no_path_from_the_controller() -> None:
    snapshot = run_program("prod", overrides={"ingress": {"enabled": False}})
    assert edge_objects(snapshot) == []
    policies = [r.inputs for r in snapshot.kubernetes_objects() if r.kind == "NetworkPolicy"]
    assert policies
    assert "envoy-gateway-system" not in str(policies)


def test_attack_paths_get_a_rule_with_no_backend(prod: Snapshot) -> None:
    """Gateway API: a rule without backendRefs is answered by the gateway itself and the
    longest prefix wins, so these never reach the frontend behind "/"."""
    route = by_kind(prod, "HTTPRoute")["shiksha-setu"]
    [blocked] = [rule for rule in route["spec"]["rules"] if "backendRefs" not in rule]
    assert blocked["matches"] == [{"path": {"type": "PathPrefix", "value": p}} for p in BLOCKED]
    # The gateway's own answer carries the security headers and is never stored.
    [header_filter] = blocked["filters"]
    headers = {h["name"]: h["value"] for h in header_filter["responseHeaderModifier"]["set"]}
    assert {k: headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers["Cache-Control"] == "no-store"
    # Without it they would match the frontend's catch-all.
    assert rules_by_path(route)["/"]["backendRefs"][0]["name"] == "frontend"


def test_no_blocked_paths_means_no_blocking_rule() -> None:
    snapshot = run_program("prod", overrides={"edge": replacing(("edge", "blockedPaths"), [])})
    route = by_kind(snapshot, "HTTPRoute")["shiksha-setu"]
    assert all("backendRefs" in rule for rule in route["spec"]["rules"])
