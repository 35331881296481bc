"""Guardrail (stack): no PodDisruptionBudget may forbid every voluntary disruption.

Such a budget blocks node drains forever; whether minAvailable does so depends on the
replicas of the workloads it selects, hence a stack policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import describe, pod_view
from ..props import get, is_unknown
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of
from ._selectors import matches
from .pdb_coverage import REPLICATED, replicas


def _zero(value: Any) -> bool:
    return value == 0 or (isinstance(value, str) and value.strip() in ("0", "0%"))


def check(resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    for p in resources:
        if kind(p.resource_type) != "PodDisruptionBudget":
            continue
        spec = get(p.props, "spec")
        if not isinstance(spec, dict):
            continue
        label = describe(p.resource_type, p.props, p.name)
        max_unavailable = spec.get("maxUnavailable")
        if not is_unknown(max_unavailable) and _zero(max_unavailable):
            yield (
                label,
                Finding(
                    "spec.maxUnavailable",
                    f"is {max_unavailable!r}; it forbids every voluntary disruption (node drains hang)",
                    urn=p.urn,
                ),
            )
            continue
        min_available = spec.get("minAvailable")
        if is_unknown(min_available) or min_available is None:
            continue
        if isinstance(min_available, str) and min_available.strip() == "100%":
            yield (
                label,
                Finding("spec.minAvailable", "is '100%'; it forbids every voluntary disruption", urn=p.urn),
            )
            continue
        if not isinstance(min_available, int):
            continue
        ns = namespace_of(p.props)
        for w in resources:
            if kind(w.resource_type) not in REPLICATED or namespace_of(w.props) != ns:
                continue
            pod = pod_view(w.resource_type, w.props)
            assert pod is not None
            n = replicas(w.props)
            if not isinstance(n, int):
                continue
            if (
                matches(spec.get("selector"), get(w.props, *pod.template_path, "metadata", "labels"))
                and min_available >= n
            ):
                yield (
                    label,
                    Finding(
                        "spec.minAvailable",
                        f"is {min_available} but "
                        f"{describe(w.resource_type, w.props, w.name)} has {n} replica(s); "
                        "no pod may ever be evicted",
                        urn=p.urn,
                    ),
                )


RULE = Rule(
    name="pdb-allows-disruption",
    description="A PodDisruptionBudget must allow at least one voluntary disruption.",
    severity=Severity.MEDIUM,
    remediation_steps="Use maxUnavailable: 1, or a minAvailable lower than the selected workload's replicas.",
    frameworks=(ESTATE,),
    stack_check=check,
    tags=("availability",),
)
