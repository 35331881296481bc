"""Remediations turn each bad fixture of their control into one the control passes, on
every pod-bearing kind, and leave compliant or unknown values alone."""

from __future__ import annotations

import pytest
from shiksha_policies.catalog import BY_NAME
from shiksha_policies.props import UNKNOWN

from .harness import BASE, FIXTURES, KINDS, Case, pss_cases, run_rule, wrap

REMEDIABLE = [
    "pss-restricted-seccomp",
    "pss-restricted-privilege-escalation",
    "pss-restricted-capabilities",
    "pss-restricted-run-as-non-root",
]
FILES = {
    "pss-restricted-seccomp": "seccomp_restricted",
    "pss-restricted-privilege-escalation": "privilege_escalation",
    "pss-restricted-capabilities": "capabilities_restricted",
    "pss-restricted-run-as-non-root": "run_as_non_root",
}
CASES = [c for name in REMEDIABLE for c in pss_cases(FIXTURES / "pss" / f"{FILES[name]}.yaml")]


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expect_path and "add[" not in c.expect_path], ids=lambda c: c.id
)
def test_remediation_fixes_the_bad_fixture(case: Case) -> None:
    rule = BY_NAME[case.policy]
    assert rule.remediate is not None
    fixed = rule.remediate(case.resource_type, case.props)
    assert fixed is not None
    assert run_rule(rule, case.resource_type, fixed) == []
    assert case.props != fixed  # the input is not mutated in place


@pytest.mark.parametrize("name", REMEDIABLE)
@pytest.mark.parametrize("kind", KINDS)
def test_compliant_pods_are_left_alone(name: str, kind: str) -> None:
    rtype, props = wrap(kind, BASE["pod"])
    assert BY_NAME[name].remediate(rtype, props) is None  # type: ignore[misc]


def test_unknown_values_are_not_overwritten() -> None:
    pod = {
        "securityContext": {"seccompProfile": {"type": UNKNOWN}},
        "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": UNKNOWN}}],
    }
    rtype, props = wrap("Deployment", pod)
    assert BY_NAME["pss-restricted-seccomp"].remediate(rtype, props) is None  # type: ignore[misc]
    assert BY_NAME["pss-restricted-privilege-escalation"].remediate(rtype, props) is None  # type: ignore[misc]


def test_non_pod_resources_are_not_touched() -> None:
    assert BY_NAME["pss-restricted-seccomp"].remediate("kubernetes:core/v1:ConfigMap", {"data": {}}) is None  # type: ignore[misc]
