"""The pack as the engine runs it: a `python -m pulumi.policy` subprocess answering the
analyzer gRPC interface (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack, Remediate)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import analyzer_pb2, engine_pb2
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE
from shiksha_policies.catalog import ALL_RULES
from shiksha_policies.pack import PACK_NAME

from .harness import BASE, merge, wrap
from .pack_client import PackProcess

pytestmark = pytest.mark.timeout(300)

BAD_POD = merge(
    BASE["pod"],
    {
        "securityContext": {"runAsNonRoot": None, "seccompProfile": None},
        "containers": [
            merge(BASE["pod"]["containers"][0], {"securityContext": {"allowPrivilegeEscalation": True}})
        ],
    },
)


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        yield p


@pytest.fixture(autouse=True)
def _default_config(pack: PackProcess) -> None:
    pack.configure({})


def test_analyzer_info_lists_every_policy_with_metadata(pack: PackProcess) -> None:
    info = pack.info()
    assert info.name == PACK_NAME and info.supportsConfig
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {r.name for r in ALL_RULES}
    for rule in ALL_RULES:
        p = by_name[rule.name]
        assert p.description == rule.description and p.remediation_steps == rule.remediation_steps
        assert p.severity != analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED
        assert p.framework.name and p.framework.reference
        expected_type = (
            analyzer_pb2.POLICY_TYPE_STACK if rule.stack_check else analyzer_pb2.POLICY_TYPE_RESOURCE
        )
        assert p.policy_type == expected_type
        want = (
            analyzer_pb2.MANDATORY
            if rule.name.startswith("pss-")
            or rule.name in ("configmap-no-secrets", "external-secrets-no-plaintext-secret")
            else analyzer_pb2.ADVISORY
        )
        assert p.enforcementLevel == want, rule.name
        assert "exemptions" in p.configSchema.properties


def test_compliant_deployment_has_no_mandatory_violation(pack: PackProcess) -> None:
    rtype, props = wrap("Deployment", BASE["pod"], name="backend")
    diags = pack.analyze(rtype, props, "backend")
    assert [d for d in diags if d["level"] == "mandatory"] == []


@pytest.mark.parametrize("kind", ["Deployment", "CronJob", "Pod", "PodTemplate"])
def test_bad_workload_gets_mandatory_violations_with_paths(pack: PackProcess, kind: str) -> None:
    rtype, props = wrap(kind, BAD_POD, name="api")
    diags = pack.analyze(rtype, props, "api")
    mandatory = {d["policy"]: d["message"] for d in diags if d["level"] == "mandatory"}
    prefix = {
        "Deployment": "spec.template.spec",
        "CronJob": "spec.jobTemplate.spec.template.spec",
        "Pod": "spec",
        "PodTemplate": "template.spec",
    }[kind]
    assert (
        f"{prefix}.containers[0].securityContext.allowPrivilegeEscalation"
        in mandatory["pss-restricted-privilege-escalation"]
    )
    assert "container 'app'" in mandatory["pss-restricted-privilege-escalation"]
    assert (
        f"{prefix}.containers[0].securityContext.runAsNonRoot" in mandatory["pss-restricted-run-as-non-root"]
    )
    assert (
        f"{prefix}.containers[0].securityContext.seccompProfile.type" in mandatory["pss-restricted-seccomp"]
    )
    assert f"{kind} shiksha-setu/api (pulumi name 'api')" in mandatory["pss-restricted-seccomp"]


def test_unknown_values_do_not_produce_violations(pack: PackProcess) -> None:
    pod = merge(
        BASE["pod"],
        {"securityContext": {"runAsNonRoot": UNKNOWN_BOOLEAN_VALUE, "seccompProfile": UNKNOWN_OBJECT_VALUE}},
    )
    pod["containers"][0]["image"] = UNKNOWN_STRING_VALUE
    pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = UNKNOWN_BOOLEAN_VALUE
    rtype, props = wrap("Deployment", pod, name="api")
    diags = pack.analyze(rtype, props, "api")
    assert diags == [], diags
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": UNKNOWN_OBJECT_VALUE}
    assert pack.analyze("kubernetes:core/v1:ConfigMap", cm, "c") == []


def test_config_changes_enforcement(pack: PackProcess) -> None:
    rtype, props = wrap("Deployment", BAD_POD, name="api")
    pack.configure(
        {
            "pss-restricted-seccomp": {"enforcementLevel": "disabled"},
            "workload-probes": {"enforcementLevel": "mandatory"},
        }
    )
    diags = pack.analyze(rtype, props, "api")
    assert "pss-restricted-seccomp" not in {d["policy"] for d in diags}
    props["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")
    diags = pack.analyze(rtype, props, "api")
    assert any(d["policy"] == "workload-probes" and d["level"] == "mandatory" for d in diags)


def test_exemption_waives_logs_and_is_reported_by_the_stack(pack: PackProcess) -> None:
    rtype, props = wrap("Deployment", BAD_POD, name="legacy")
    reason = "vendor chart runs as root until upgrade (OPS-77)"
    pack.configure(
        {"pss-restricted-run-as-non-root": {"exemptions": [{"resource": "legacy", "reason": reason}]}}
    )
    diags = pack.analyze(rtype, props, "legacy")
    assert "pss-restricted-run-as-non-root" not in {d["policy"] for d in diags}
    assert "pss-restricted-seccomp" in {d["policy"] for d in diags}  # only the named policy is waived
    warnings = [m for sev, m, _ in pack.engine.logs if sev == engine_pb2.WARNING]
    assert any("pss-restricted-run-as-non-root" in m and reason in m for m in warnings), pack.engine.logs
    stack = pack.analyze_stack([(rtype, props, "legacy")])
    report = [d for d in stack if d["policy"] == "shiksha-exemptions-applied"]
    assert report and report[0]["level"] == "advisory" and reason in report[0]["message"]
    assert report[0]["urn"].endswith("::legacy")


def test_analyze_stack_runs_the_stack_policies(pack: PackProcess) -> None:
    rtype, props = wrap("Deployment", BASE["pod"], name="backend")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shiksha-setu"}}
    diags = pack.analyze_stack([(rtype, props, "backend"), ("kubernetes:core/v1:Namespace", namespace, "ns")])
    got = {d["policy"] for d in diags}
    assert {"namespace-default-deny", "workload-pdb-coverage", "platform-namespace-quota"} <= got
    deny = next(d for d in diags if d["policy"] == "namespace-default-deny")
    assert deny["urn"].endswith("::backend") and "'shiksha-setu'" in deny["message"]


def test_remediation_switched_on_by_config(pack: PackProcess) -> None:
    rtype, props = wrap("Deployment", BAD_POD, name="api")
    resp = pack.remediate(rtype, props, "api")
    assert list(resp.remediations) == []  # off by default
    pack.configure(
        {
            "pss-restricted-seccomp": {"enforcementLevel": "remediate"},
            "pss-restricted-privilege-escalation": {"enforcementLevel": "remediate"},
        }
    )
    resp = pack.remediate(rtype, props, "api")
    by_policy = {r.policyName: r for r in resp.remediations}
    assert set(by_policy) == {"pss-restricted-seccomp", "pss-restricted-privilege-escalation"}
    from google.protobuf import json_format

    final = json_format.MessageToDict(resp.remediations[-1].properties)
    spec = final["spec"]["template"]["spec"]
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
