"""Exemptions need a reason, match by URN or Pulumi name, and are always reported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from shiksha_policies import exemptions
from shiksha_policies.catalog import BY_NAME
from shiksha_policies.exemption_report import RULE as REPORT

from .harness import BASE, expand_stack, merge, wrap

POLICY = "pss-restricted-run-as-non-root"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    exemptions.reset()
    yield
    exemptions.reset()


def _args(config: dict, name: str = "legacy-api") -> ResourceValidationArgs:
    pod = merge(BASE["pod"], {"securityContext": {"runAsNonRoot": None}})
    rtype, props = wrap("Deployment", pod, name="legacy-api")
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    urn = f"urn:pulumi:prod::shiksha-setu::{rtype}::{name}"
    return ResourceValidationArgs(rtype, props, urn, name, opts, None, config)


def _validate(config: dict, name: str = "legacy-api") -> list[str]:
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy = BY_NAME[POLICY].to_policy()
    assert isinstance(policy, ResourceValidationPolicy)
    policy.validate(_args(config, name), report)
    return reported


def test_without_exemption_the_violation_is_reported() -> None:
    assert _validate({}) and exemptions.applied() == []


@pytest.mark.parametrize(
    "target", ["legacy-api", "urn:pulumi:prod::shiksha-setu::kubernetes:apps/v1:Deployment::legacy-api"]
)
def test_exemption_by_name_or_urn_waives_and_is_recorded(target: str) -> None:
    config = {
        "exemptions": [{"resource": target, "reason": "vendor image runs as root until v5 (TICKET-42)"}]
    }
    assert _validate(config) == []
    (applied,) = exemptions.applied()
    assert applied.policy == POLICY and "TICKET-42" in applied.reason and applied.findings >= 1


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_exemption_without_a_reason_is_ignored(reason: object) -> None:
    entry = {"resource": "legacy-api"}
    if reason is not None:
        entry["reason"] = reason  # type: ignore[assignment]
    assert _validate({"exemptions": [entry]})
    assert exemptions.applied() == []


def test_an_exemption_for_another_resource_does_not_apply() -> None:
    assert _validate({"exemptions": [{"resource": "other", "reason": "x"}]})


def test_applied_exemptions_are_reported_by_the_advisory_stack_policy() -> None:
    _validate({"exemptions": [{"resource": "legacy-api", "reason": "vendor image runs as root"}]})
    results = REPORT.evaluate_stack(expand_stack([]))
    assert len(results) == 1
    label, finding = results[0]
    text = finding.render(label)
    assert POLICY in text and "vendor image runs as root" in text and "legacy-api" in text
    assert REPORT.to_policy().enforcement_level == EnforcementLevel.ADVISORY


def test_stack_policy_exemption() -> None:
    rule = BY_NAME["namespace-default-deny"]
    resources = expand_stack([{"workload": {"kind": "Deployment", "name": "backend"}}])
    assert rule.evaluate_stack(resources)
    reported: list[str] = []

    class Args:
        def __init__(self) -> None:
            self.resources = [
                type(
                    "R",
                    (),
                    {"resource_type": r.resource_type, "props": r.props, "name": r.name, "urn": r.urn},
                )()
                for r in resources
            ]

        def get_config(self) -> dict:
            return {"exemptions": [{"resource": "backend", "reason": "namespace policies land in PR 12"}]}

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    rule._validate_stack(Args(), report)  # type: ignore[arg-type]
    assert reported == []
    assert [a.name for a in exemptions.applied()] == ["backend"]


def test_schema_requires_a_non_blank_reason() -> None:
    schema = exemptions.SCHEMA
    assert schema["items"]["required"] == ["resource", "reason"]
    assert schema["items"]["properties"]["reason"]["minLength"] == 1
