"""Patch and List types: no covered kind escapes through either.

The issue's attack: a privileged, hostNetwork, hostPath, SYS_ADMIN pod got 9 mandatory
violations as a Deployment and 0 as a DeploymentPatch or any *List type. Here every
pod-bearing kind, ConfigMap and Service is sent as its Patch and List type, over gRPC
through the pack process the engine runs, and must get the same mandatory policies as the
kind itself; a Patch is judged on the fields it sets only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import BASE, KINDS, merge, run_rule, wrap
from .pack_client import PackProcess

pytestmark = pytest.mark.timeout(300)

ATTACK = merge(
    BASE["pod"],
    {
        "hostNetwork": True,
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
        "containers": [
            merge(
                BASE["pod"]["containers"][0],
                {"securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}}},
            )
        ],
    },
)
ATTACK_POLICIES = {
    "pss-baseline-host-namespaces",
    "pss-baseline-host-path",
    "pss-baseline-privileged",
    "pss-baseline-capabilities",
    "pss-restricted-volume-types",
    "pss-restricted-capabilities",
}


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        p.configure({})
        yield p


def mandatory(diags: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in diags:
        if d["level"] == "mandatory":
            out.setdefault(d["policy"], []).append(d["message"])
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_patch_and_list_get_the_kinds_mandatory_violations(pack: PackProcess, kind: str) -> None:
    rtype, props = wrap(kind, ATTACK, name="attack")
    full = mandatory(pack.analyze(rtype, props, "attack"))
    assert set(full) >= ATTACK_POLICIES, full

    patch = mandatory(pack.analyze(rtype + "Patch", props, "attack"))
    assert set(patch) >= ATTACK_POLICIES, patch
    assert f"{kind}Patch shiksha-setu/attack" in patch["pss-baseline-privileged"][0]

    other = wrap(kind, BASE["pod"], name="fine")[1]
    listed = {"apiVersion": props["apiVersion"], "kind": f"{kind}List", "items": [other, props]}
    got = mandatory(pack.analyze(rtype + "List", listed, "attack-list"))
    assert set(got) == set(full), got
    message = got["pss-baseline-privileged"][0]
    # The violation names the item: its index and its own kind/namespace/name.
    assert f"items[1] {kind} shiksha-setu/attack" in message and "items[1]." in message, message
    assert all("items[0]" not in m for ms in got.values() for m in ms)


def test_a_patch_is_judged_on_the_fields_it_sets(pack: PackProcess) -> None:
    # Sets nothing about security: nothing mandatory, although a full Deployment with this
    # pod would break the Restricted profile (no runAsNonRoot, seccomp, drop ALL, ...).
    patch = {
        "metadata": {"name": "api", "namespace": "team"},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "api", "image": "api:1.2.3"}]}},
        },
    }
    assert mandatory(pack.analyze("kubernetes:apps/v1:DeploymentPatch", patch, "api")) == {}
    full = mandatory(pack.analyze("kubernetes:apps/v1:Deployment", patch, "api"))
    assert {"pss-restricted-run-as-non-root", "pss-restricted-seccomp"} <= set(full)
    # A field it sets is judged as in the full kind.
    patch["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
        "allowPrivilegeEscalation": True,
        "capabilities": {"drop": ["NET_RAW"]},
    }
    got = mandatory(pack.analyze("kubernetes:apps/v1:DeploymentPatch", patch, "api"))
    assert set(got) == {"pss-restricted-privilege-escalation", "pss-restricted-capabilities"}, got


def test_configmap_and_service_patch_and_list(pack: PackProcess) -> None:
    cm = {"metadata": {"name": "c", "namespace": "team"}, "data": {"DB_PASSWORD": "hunter2hunter2"}}
    for t, body in (
        ("kubernetes:core/v1:ConfigMapPatch", cm),
        ("kubernetes:core/v1:ConfigMapList", {"items": [cm]}),
    ):
        got = mandatory(pack.analyze(t, body, "c"))
        assert "configmap-no-secrets" in got, (t, got)
    svc = {"metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}}
    for t, body in (
        ("kubernetes:core/v1:ServicePatch", svc),
        ("kubernetes:core/v1:ServiceList", {"items": [svc]}),
    ):
        assert any(d["policy"] == "service-no-undeclared-exposure" for d in pack.analyze(t, body, "s")), t


def test_a_list_of_the_wrong_shape_is_a_violation(pack: PackProcess) -> None:
    got = mandatory(pack.analyze("kubernetes:apps/v1:DeploymentList", {"items": "oops"}, "l"))
    assert any("expected a list at items" in m for m in got["pss-baseline-privileged"]), got
    got = mandatory(pack.analyze("kubernetes:apps/v1:DeploymentList", {"items": [7]}, "l"))
    assert any("expected an object at items[0]" in m for m in got["pss-baseline-privileged"]), got


def test_stack_policies_see_list_items_and_skip_unset_patch_fields() -> None:
    from shiksha_policies.catalog import BY_NAME
    from shiksha_policies.rule import Subject

    deny = {
        "metadata": {"name": "deny", "namespace": "team"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    _, workload = wrap("Deployment", BASE["pod"], name="api", namespace="team")
    resources = [
        Subject("kubernetes:networking.k8s.io/v1:NetworkPolicyList", {"items": [deny]}, "denies", "urn:d"),
        Subject("kubernetes:apps/v1:Deployment", workload, "api", "urn:a"),
    ]
    assert BY_NAME["namespace-default-deny"].evaluate_stack(resources) == []
    assert BY_NAME["namespace-default-deny"].evaluate_stack(resources[1:]) != []


def test_run_rule_sees_patch_semantics_without_the_pack() -> None:
    from shiksha_policies.catalog import BY_NAME

    rtype, props = wrap("Deployment", {"containers": [{"name": "a", "image": "a:1.0.0"}]})
    assert run_rule(BY_NAME["pss-restricted-seccomp"], rtype, props)
    assert run_rule(BY_NAME["pss-restricted-seccomp"], rtype + "Patch", props) == []
