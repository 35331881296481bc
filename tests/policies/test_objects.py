"""Guardrails judged on single objects (Services, Ingresses, Gateways, ConfigMaps, Docker)."""

from __future__ import annotations

from typing import Any

import pytest
from shiksha_policies.catalog import BY_NAME

from .harness import FIXTURES, load, run_rule


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for f in sorted((FIXTURES / "guardrails").glob("*.yaml")) + sorted((FIXTURES / "docker").glob("*.yaml")):
        data = load(f)
        for case in data["cases"]:
            for policy in case.get("policies") or [data["policy"]]:
                out.append((policy, case))
    return out


CASES = _cases()


@pytest.mark.parametrize(("policy", "case"), CASES, ids=[f"{p}:{c['name']}" for p, c in CASES])
def test_object_fixture(policy: str, case: dict[str, Any]) -> None:
    rule = BY_NAME[policy]
    findings = run_rule(rule, case["type"], case["props"], name=case["name"])
    expected = [p for p in case["expect"] if _owned(policy, p, case)]
    assert sorted(f.path for f in findings) == sorted(expected), [f.render("x") for f in findings]


def _owned(policy: str, path: str, case: dict[str, Any]) -> bool:
    """In multi-policy Docker cases each expected path belongs to the policy that judges it."""
    owners = {
        "privileged": "docker-no-privileged",
        "readOnly": "docker-read-only-rootfs",
        "securityOpts": "docker-no-new-privileges",
        "labels": "docker-image-oci-labels",
        "build.labels": "docker-image-oci-labels",
    }
    if len(case.get("policies") or []) <= 1:
        return True
    if path.startswith("ports"):
        return policy == "docker-datastore-ports-local"
    if path in owners:
        return owners[path] == policy
    return policy == "docker-image-pinned"


def test_every_object_rule_has_good_and_bad_cases() -> None:
    for name in {p for p, _ in CASES}:
        cases = [c for p, c in CASES if p == name]
        assert any(not c["expect"] for c in cases), f"{name} has no good case"
        assert any(any(_owned(name, e, c) for e in c["expect"]) for c in cases), f"{name} has no bad case"


def test_messages_name_the_resource_and_field() -> None:
    rule = BY_NAME["configmap-no-secrets"]
    props = {
        "metadata": {"name": "backend-config", "namespace": "shiksha-setu"},
        "data": {"DB_PASSWORD": "pw-1234567"},
    }
    from shiksha_policies.rule import Subject

    subject = Subject("kubernetes:core/v1:ConfigMap", props, "backend-cm", "urn:x")
    (f,) = rule.evaluate(subject)
    msg = f.render(subject.label)
    assert msg.startswith("ConfigMap shiksha-setu/backend-config (pulumi name 'backend-cm')")
    assert "data.DB_PASSWORD" in msg
    assert "pw-1234567" not in msg  # the secret itself is never echoed
