"""Cache-Control by path class and the CDN-only origin on the Kubernetes edge (gateway-api,
the prod default): the objects the real program registers under mocks, validated against
the Gateway API and Envoy Gateway CRD schemas in tests/ingress/data."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.ingress.support import by_kind, edge_objects, validate_custom_resource
from tests.support.program import ROOT, TEST_SECRETS, Snapshot, run_program

IMMUTABLE = "public, max-age=31536000, immutable"
ORIGIN = "origin.shikshasetu.example.org"
ORIGIN_SECRET = "cdn-origin-Secret-5e8b-0123456789"
CDN = {"enabled": True, "originHost": ORIGIN, "allowedRanges": ["203.0.113.0/24", "2001:db8::/32"]}
# The written-out expectation of the production path classes.
EXPECTED = {
    "/assets/": IMMUTABLE,
    "/": "no-cache",
    "/api": "no-store",
    "/ws": "no-store",
    "/api/v2/ml": "no-store",
    "/api/v2/chat": "no-store",
    "/api/v2/chat/stream": "no-store",
}


def _modifier(rule: dict[str, Any]) -> dict[str, Any]:
    [modifier] = [
        f["responseHeaderModifier"] for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"
    ]
    return dict(modifier)


def _proxied_rules(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    route = by_kind(snapshot, "HTTPRoute")["shiksha-setu"]
    return {r["matches"][0]["path"]["value"]: r for r in route["spec"]["rules"] if "backendRefs" in r}


@pytest.fixture(scope="module")
def with_cdn() -> Snapshot:
    return run_program(
        "prod", overrides={"cdn": CDN}, secrets={**TEST_SECRETS, "cdnOriginAuth": ORIGIN_SECRET}
    )


def test_every_rule_sets_its_class_cache_control_and_adds_vary(prod: Snapshot) -> None:
    rules = _proxied_rules(prod)
    found = {}
    for path, rule in rules.items():
        modifier = _modifier(rule)
        cache = [h["value"] for h in modifier["set"] if h["name"] == "Cache-Control"]
        found[path] = cache[0] if len(cache) == 1 else cache
        # `add`: the compressor's and the backend's own Vary stay.
        assert modifier["add"] == [{"name": "Vary", "value": "Accept-Encoding, Origin"}], path
        assert "Strict-Transport-Security" in {h["name"] for h in modifier["set"]}, path
    assert found == EXPECTED
    assert rules["/assets/"]["backendRefs"] == rules["/"]["backendRefs"]


def test_routes_validate_against_the_crd_with_cache_headers(prod: Snapshot, with_cdn: Snapshot) -> None:
    for snapshot in (prod, with_cdn):
        for obj in edge_objects(snapshot):
            if obj["kind"] != "Secret":
                validate_custom_resource(obj)


def test_cache_control_off_sets_no_cache_header() -> None:
    snapshot = run_program("prod", overrides={"cdn": {"cacheControl": {"enabled": False}}})
    rules = _proxied_rules(snapshot)
    assert "/assets/" not in rules
    for path, rule in rules.items():
        modifier = _modifier(rule)
        assert "add" not in modifier, path
        assert "Cache-Control" not in {h["name"] for h in modifier["set"]}, path


def test_without_a_cdn_nothing_restricts_the_origin(prod: Snapshot) -> None:
    [policy] = by_kind(prod, "SecurityPolicy").values()
    assert set(policy["spec"]) == {"targetRefs", "cors"}
    assert not [o for o in edge_objects(prod) if o["kind"] == "Secret"]


def test_cdn_origin_host_gets_listeners_and_the_route(with_cdn: Snapshot) -> None:
    gateway = by_kind(with_cdn, "Gateway")["shiksha-setu"]
    assert [(entry["name"], entry["hostname"]) for entry in gateway["spec"]["listeners"]] == [
        ("https-0", "shikshasetu.example.org"),
        ("http-0", "shikshasetu.example.org"),
        ("https-1", ORIGIN),
        ("http-1", ORIGIN),
    ]
    routes = by_kind(with_cdn, "HTTPRoute")
    assert routes["shiksha-setu"]["spec"]["hostnames"] == ["shikshasetu.example.org", ORIGIN]
    assert routes["shiksha-setu-http-redirect"]["spec"]["hostnames"] == ["shikshasetu.example.org", ORIGIN]


def test_cdn_security_policy_requires_the_header_and_the_ranges(with_cdn: Snapshot) -> None:
    spec = by_kind(with_cdn, "SecurityPolicy")["shiksha-setu-cors"]["spec"]
    assert spec["apiKeyAuth"] == {
        "credentialRefs": [{"kind": "Secret", "name": "shiksha-setu-cdn-origin-auth"}],
        "extractFrom": [{"headers": ["X-Shiksha-Origin-Auth"]}],
        "sanitize": True,
    }
    assert spec["authorization"] == {
        "defaultAction": "Deny",
        "rules": [
            {"name": "cdn-ranges", "action": "Allow", "principal": {"clientCIDRs": CDN["allowedRanges"]}}
        ],
    }
    assert spec["cors"]["allowOrigins"] == ["https://shikshasetu.example.org"]


def test_cdn_origin_secret_is_a_secret_output(with_cdn: Snapshot) -> None:
    [secret] = [o for o in with_cdn.kubernetes_objects() if o.kind == "Secret" and "cdn" in o.name]
    assert secret.inputs["stringData"] == {"cdn": ORIGIN_SECRET}
    assert {"stringData", "stringData.cdn"} & set(secret.secret_paths)
    kubernetes_validate.validate(secret.manifest, "1.34.0", strict=True)
    for other in with_cdn.kubernetes_objects():
        if other is not secret and other.kind != "Secret":
            assert ORIGIN_SECRET not in str(other.inputs), other.name
    assert ORIGIN_SECRET not in str(with_cdn.outputs)


def test_a_weak_origin_secret_fails_the_run() -> None:
    # In its own process: a run that fails inside an Output leaves the mocked runtime unusable.
    script = (
        "from tests.support.program import TEST_SECRETS, run_program\n"
        f"s = run_program('prod', overrides={{'cdn': {CDN!r}}}, "
        "secrets={**TEST_SECRETS, 'cdnOriginAuth': 'short'}, raise_errors=False)\n"
        "print(s.error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert "shiksha-setu:cdnOriginAuth: expected 16 to 256 characters" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["authorization"]["rules"][0].update({"action": "Permit"}),
        lambda s: s["authorization"]["rules"][0]["principal"].update({"clientCIDRs": "203.0.113.0/24"}),
        lambda s: s["apiKeyAuth"].update({"extractFrom": {"headers": ["X"]}}),
        lambda s: s["apiKeyAuth"].pop("credentialRefs"),
    ],
)
def test_the_security_policy_schema_catches_a_mistake(with_cdn: Snapshot, mutate: Any) -> None:
    policy = copy.deepcopy(by_kind(with_cdn, "SecurityPolicy")["shiksha-setu-cors"])
    mutate(policy["spec"])
    with pytest.raises(jsonschema.ValidationError):
        validate_custom_resource(policy)
