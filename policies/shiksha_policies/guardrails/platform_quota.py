"""Guardrail (stack): the platform namespace has a ResourceQuota and a LimitRange."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import kube_type
from ..props import is_unknown
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of, nsa

DEFAULT_NAMESPACE = "shiksha-setu"


def check(resources: list[StackResource], config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    namespace = config.get("namespace") or DEFAULT_NAMESPACE
    kube = [r for r in resources if kube_type(r.resource_type) is not None]
    if not kube:
        return  # a docker-host stack has no cluster to budget
    present: set[str] = set()
    for r in kube:
        k = kind(r.resource_type)
        if k in ("ResourceQuota", "LimitRange"):
            ns = namespace_of(r.props)
            # One whose namespace is not yet known may well be the platform's.
            if is_unknown(ns) or ns == namespace:
                present.add(k)
    for wanted in ("ResourceQuota", "LimitRange"):
        if wanted not in present:
            # Reported against the stack: the problem is an object that does not exist.
            yield (
                f"Namespace {namespace}",
                Finding(
                    f"{wanted} (metadata.namespace={namespace!r})",
                    "is missing from the stack; the platform namespace needs one",
                ),
            )


RULE = Rule(
    name="platform-namespace-quota",
    description="The platform namespace must have a ResourceQuota and a LimitRange.",
    severity=Severity.MEDIUM,
    remediation_steps="Create a ResourceQuota (CPU/memory/object counts) and a LimitRange "
    "(default container requests/limits) in the platform namespace.",
    frameworks=(nsa("Resource policies: ResourceQuota and LimitRange"), ESTATE),
    stack_check=check,
    extra_config={
        "namespace": {
            "type": "string",
            "default": DEFAULT_NAMESPACE,
            "description": "The platform namespace that needs the quota stack.",
        }
    },
    tags=("namespace",),
)
