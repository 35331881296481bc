"""What the pack promises about every policy: metadata, default enforcement, config schema."""

from __future__ import annotations

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from shiksha_policies.catalog import ALL_RULES, BY_NAME
from shiksha_policies.rule import CIS, CIS_DOCKER, NSA, PSS, Rule

MANDATORY_BY_DEFAULT = {r.name for r in ALL_RULES if r.name.startswith("pss-")} | {
    "configmap-no-secrets",
    "external-secrets-no-plaintext-secret",
}
STACK_POLICIES = {
    "workload-service-account-token",
    "namespace-default-deny",
    "workload-pdb-coverage",
    "pdb-allows-disruption",
    "platform-namespace-quota",
    "shiksha-exemptions-applied",
    "edge-tls-hsts",
    "pss",
}
REMEDIABLE = {
    "pss-restricted-seccomp",
    "pss-restricted-privilege-escalation",
    "pss-restricted-capabilities",
    "pss-restricted-run-as-non-root",
}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_every_policy_carries_its_metadata(rule: Rule) -> None:
    policy = rule.to_policy()
    assert policy.description and policy.severity is not None
    assert policy.remediation_steps and len(policy.remediation_steps) > 30
    assert policy.framework is not None and policy.framework.name and policy.framework.reference
    if rule.name.startswith("pss-"):
        assert policy.framework.name == PSS
        assert "kubernetes.io/docs/concepts/security/pod-security-standards" in policy.framework.reference
    assert policy.config_schema is not None
    assert "exemptions" in policy.config_schema.properties
    assert policy.config_schema.properties["exemptions"]["items"]["required"] == ["resource", "reason"]


def test_frameworks_reference_cis_or_nsa_where_one_applies() -> None:
    named = {f.name for r in ALL_RULES for f in r.frameworks}
    assert {PSS, CIS, NSA, CIS_DOCKER} <= named
    for name in (
        "pss-baseline-privileged",
        "pss-restricted-run-as-non-root",
        "namespace-default-deny",
        "workload-service-account-token",
        "docker-no-privileged",
    ):
        assert any(f.name in (CIS, CIS_DOCKER) for f in BY_NAME[name].frameworks), name


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_default_enforcement(rule: Rule) -> None:
    want = EnforcementLevel.MANDATORY if rule.name in MANDATORY_BY_DEFAULT else EnforcementLevel.ADVISORY
    assert rule.to_policy().enforcement_level == want


def test_policy_types() -> None:
    for rule in ALL_RULES:
        policy = rule.to_policy()
        if rule.name in STACK_POLICIES:
            assert isinstance(policy, StackValidationPolicy), rule.name
        else:
            assert isinstance(policy, ResourceValidationPolicy), rule.name


def test_remediations_exist_only_where_safe() -> None:
    have = {r.name for r in ALL_RULES if r.remediate is not None}
    assert have == REMEDIABLE
    for name in REMEDIABLE:
        policy = BY_NAME[name].to_policy()
        assert isinstance(policy, ResourceValidationPolicy) and policy.has_remediation()
