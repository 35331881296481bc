"""Guardrail (stack): each namespace the stack creates has a ResourceQuota and a LimitRange.

The namespaces judged are the ones the stack contains (its Namespace resources), or, when
the pack config names some (`namespaces`), those of them the stack contains or deploys
into. No estate's name is built in: a program that never mentions a namespace is never
told it lacks a quota there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import kube_type
from ..props import get, is_unknown
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of, nsa


def _judged(kube: list[StackResource], configured: Any) -> list[str]:
    created = [
        get(r.props, "metadata", "name")
        for r in kube
        if kind(r.resource_type) == "Namespace" and not r.partial
    ]
    if not (isinstance(configured, list) and configured):
        return sorted({n for n in created if isinstance(n, str)})
    mentioned = {n for n in created if isinstance(n, str)} | {
        ns for ns in (namespace_of(r.props) for r in kube) if isinstance(ns, str)
    }
    return sorted({n for n in configured if isinstance(n, str) and n in mentioned})


def check(resources: list[StackResource], config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    kube = [r for r in resources if kube_type(r.resource_type) is not None]
    if not kube:
        return  # a docker-host stack has no cluster to budget
    present: set[tuple[str, str]] = set()
    anywhere: set[str] = set()  # kinds present in a namespace not yet known
    for r in kube:
        k = kind(r.resource_type)
        if k in ("ResourceQuota", "LimitRange"):
            ns = namespace_of(r.props)
            if is_unknown(ns):
                anywhere.add(k)  # one whose namespace is not yet known may well be this one
            elif isinstance(ns, str):
                present.add((ns, k))
    for namespace in _judged(kube, config.get("namespaces")):
        for wanted in ("ResourceQuota", "LimitRange"):
            if (namespace, wanted) not in present and wanted not in anywhere:
                # Reported against the stack: the problem is an object that does not exist.
                yield (
                    f"Namespace {namespace}",
                    Finding(
                        f"{wanted} (metadata.namespace={namespace!r})",
                        "is missing from the stack; every namespace the stack creates needs one",
                    ),
                )


RULE = Rule(
    name="platform-namespace-quota",
    description="Every namespace the stack creates must have a ResourceQuota and a LimitRange.",
    severity=Severity.MEDIUM,
    remediation_steps="Create a ResourceQuota (CPU/memory/object counts) and a LimitRange "
    "(default container requests/limits) in the namespace.",
    frameworks=(nsa("Resource policies: ResourceQuota and LimitRange"), ESTATE),
    stack_check=check,
    extra_config={
        "namespaces": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": [],
            "description": "Only these namespaces need the quota pair (each judged when the stack "
            "creates it or deploys into it); empty: every Namespace the stack creates.",
        }
    },
    tags=("namespace",),
)
