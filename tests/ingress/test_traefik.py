"""gateway-api mode with the `traefik` policy provider: rate limits, the connection limit,
CORS and the blocked paths as Traefik Middlewares the HTTPRoute's rules run through
ExtensionRef filters, validated against Traefik's CRD (strict) and judged by the policy pack.
What Traefik does with them is proven with live traffic in tests/edge_traffic."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.ingress.support import BLOCKED, by_kind, edge_objects, validate_custom_resource
from tests.ingress.test_gateway_api import SECURITY_HEADERS, rules_by_path
from tests.policies.pack_client import PackProcess, engine_resources
from tests.support.program import Snapshot, run_program

TRAEFIK = {"ingress": {"gatewayApi": {"gatewayClass": "traefik", "policyProvider": "traefik"}}}
MIDDLEWARES = [
    "shiksha-setu-global-rate-limit",
    "shiksha-setu-rate-limit",
    "shiksha-setu-connection-limit",
    "shiksha-setu-cors",
]


def _ref(name: str) -> dict[str, Any]:
    return {
        "type": "ExtensionRef",
        "extensionRef": {"group": "traefik.io", "kind": "Middleware", "name": name},
    }


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return run_program("prod", overrides=TRAEFIK)


def test_the_traefik_provider_emits_middlewares_and_no_envoy_policy(snapshot: Snapshot) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in edge_objects(snapshot))
    assert kinds == [
        ("Gateway", "shiksha-setu"),
        ("HTTPRoute", "shiksha-setu"),
        ("HTTPRoute", "shiksha-setu-http-redirect"),
        *sorted(("Middleware", name) for name in [*MIDDLEWARES, "shiksha-setu-blocked"]),
    ]
    assert by_kind(snapshot, "Gateway")["shiksha-setu"]["spec"]["gatewayClassName"] == "traefik"


def test_the_middlewares_carry_the_configured_limits_and_cors(snapshot: Snapshot) -> None:
    specs = {name: m["spec"] for name, m in by_kind(snapshot, "Middleware").items()}
    by_client = {"ipStrategy": {"depth": 0}}
    assert specs == {
        # prod: 20 r/s per client with a burst multiplier of 5; 1000 r/s for everyone.
        "shiksha-setu-rate-limit": {
            "rateLimit": {"average": 20, "period": "1s", "burst": 100, "sourceCriterion": by_client}
        },
        "shiksha-setu-global-rate-limit": {
            "rateLimit": {
                "average": 1000,
                "period": "1s",
                "burst": 1000,
                "sourceCriterion": {"requestHost": True},
            }
        },
        "shiksha-setu-connection-limit": {"inFlightReq": {"amount": 20, "sourceCriterion": by_client}},
        "shiksha-setu-cors": {
            "headers": {
                "accessControlAllowOriginList": ["https://shikshasetu.example.org"],
                "accessControlAllowMethods": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                "accessControlAllowHeaders": ["Authorization", "Content-Type", "X-Request-ID"],
                "accessControlAllowCredentials": True,
                "accessControlMaxAge": 600,
                "addVaryHeader": True,
            }
        },
        "shiksha-setu-blocked": {
            "ipAllowList": {"sourceRange": ["255.255.255.255/32"], "rejectStatusCode": 403}
        },
    }


def test_every_proxying_rule_runs_the_middlewares_under_the_header_filter(snapshot: Snapshot) -> None:
    rules = rules_by_path(by_kind(snapshot, "HTTPRoute")["shiksha-setu"])
    assert set(rules) == {"/api", "/ws", "/", "/assets/", "/api/v2/ml", "/api/v2/chat", "/api/v2/chat/stream"}
    for path, rule in rules.items():
        header_filter, *rest = rule["filters"]
        # First, so the 429s and preflight answers of the Middlewares pass through it.
        assert header_filter["type"] == "ResponseHeaderModifier", path
        assert rest == [_ref(name) for name in MIDDLEWARES], path


def test_blocked_paths_are_denied_by_traefik_itself_with_the_headers(snapshot: Snapshot) -> None:
    route = by_kind(snapshot, "HTTPRoute")["shiksha-setu"]
    [blocked] = [rule for rule in route["spec"]["rules"] if "backendRefs" not in rule]
    assert blocked["matches"] == [{"path": {"type": "PathPrefix", "value": p}} for p in BLOCKED]
    header_filter, deny = blocked["filters"]
    headers = {h["name"]: h["value"] for h in header_filter["responseHeaderModifier"]["set"]}
    assert {k: headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers["Cache-Control"] == "no-store"
    assert deny == _ref("shiksha-setu-blocked")


def test_the_other_providers_block_with_the_header_filter_alone(prod: Snapshot) -> None:
    route = by_kind(prod, "HTTPRoute")["shiksha-setu"]
    [blocked] = [rule for rule in route["spec"]["rules"] if "backendRefs" not in rule]
    assert [f["type"] for f in blocked["filters"]] == ["ResponseHeaderModifier"]
    assert all(len(rule["filters"]) == 1 for rule in rules_by_path(route).values())


def test_a_fractional_rate_becomes_average_over_period() -> None:
    snapshot = run_program(
        "prod",
        overrides={**TRAEFIK, "edge": {"rateLimits": {"requestsPerSecond": 2.5, "burstMultiplier": 3}}},
    )
    limit = by_kind(snapshot, "Middleware")["shiksha-setu-rate-limit"]["spec"]["rateLimit"]
    assert (limit["average"], limit["period"], limit["burst"]) == (5, "2s", 8)


def test_no_allowed_origin_means_no_cors_middleware() -> None:
    snapshot = run_program("prod", overrides={**TRAEFIK, "edge": {"cors": {"allowedOrigins": []}}})
    assert "shiksha-setu-cors" not in by_kind(snapshot, "Middleware")
    rules = rules_by_path(by_kind(snapshot, "HTTPRoute")["shiksha-setu"])
    assert all(_ref("shiksha-setu-cors") not in rule["filters"] for rule in rules.values())


def test_every_traefik_object_validates_against_its_shipped_crd(snapshot: Snapshot) -> None:
    objects = edge_objects(snapshot)
    assert {o["kind"] for o in objects} == {"Gateway", "HTTPRoute", "Middleware"}
    for obj in objects:
        validate_custom_resource(obj)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda spec: spec["rateLimit"].update({"rate": 20}),  # a field Traefik does not have
        lambda spec: spec["rateLimit"].update({"average": -1}),
        lambda spec: spec["rateLimit"]["sourceCriterion"]["ipStrategy"].update({"depth": "0"}),
    ],
)
def test_the_middleware_schema_catches_a_mistake(snapshot: Snapshot, mutate: Any) -> None:
    obj = copy.deepcopy(by_kind(snapshot, "Middleware")["shiksha-setu-rate-limit"])
    mutate(obj["spec"])
    with pytest.raises(jsonschema.ValidationError):
        validate_custom_resource(obj)


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        p.configure({})
        yield p


@pytest.mark.timeout(600)
def test_the_policy_pack_passes_the_traefik_estate(pack: PackProcess, snapshot: Snapshot) -> None:
    resources = engine_resources(snapshot.resources)
    assert any(rtype.endswith("traefik.io/v1alpha1:Middleware") for rtype, _props, _name in resources)
    found = [
        d
        for rtype, props, name in resources
        for d in pack.analyze(rtype, props, name)
        if d["level"] == "mandatory"
    ]
    found += [
        d
        for d in pack.analyze_stack(resources)
        if d["level"] == "mandatory" or d["policy"] == "edge-tls-hsts"
    ]
    assert found == [], "\n".join(f"[{d['policy']}] {d['message']}" for d in found)
