"""Guardrail (stack): every multi-replica workload is covered by a PodDisruptionBudget."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import describe, fmt_path, pod_view
from ..props import get, is_unknown
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of
from ._selectors import matches

REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


def replicas(props: Any) -> Any:
    r = get(props, "spec", "replicas")
    return 1 if r is None else r  # the API default


def check(resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    pdbs = [r for r in resources if kind(r.resource_type) == "PodDisruptionBudget"]
    for r in resources:
        if kind(r.resource_type) not in REPLICATED or r.partial:
            continue  # a patch's unset replicas/labels are not its object's
        n = replicas(r.props)
        if not isinstance(n, int) or n <= 1:
            continue
        pod = pod_view(r.resource_type, r.props)
        assert pod is not None
        labels = get(r.props, *pod.template_path, "metadata", "labels")
        ns = namespace_of(r.props)
        if is_unknown(ns):
            continue
        # A budget whose namespace is not yet known might be in this one.
        verdicts = [
            matches(get(p.props, "spec", "selector"), labels)
            for p in pdbs
            if namespace_of(p.props) == ns or is_unknown(namespace_of(p.props))
        ]
        if any(v is None or v for v in verdicts):
            continue
        yield (
            describe(r.resource_type, r.props, r.name),
            Finding(
                fmt_path((*pod.template_path, "metadata", "labels")),
                f"are selected by no PodDisruptionBudget in namespace {ns!r} although spec.replicas is {n}",
                urn=r.urn,
            ),
        )


RULE = Rule(
    name="workload-pdb-coverage",
    description="Every workload with more than one replica must have a PodDisruptionBudget.",
    severity=Severity.MEDIUM,
    remediation_steps="Add a PodDisruptionBudget in the same namespace whose selector matches "
    "the pod template labels, with maxUnavailable: 1 (or minAvailable below the replica count).",
    frameworks=(ESTATE,),
    stack_check=check,
    tags=("availability",),
)
