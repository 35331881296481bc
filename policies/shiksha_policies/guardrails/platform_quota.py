"""Guardrail (stack): the platform namespace has a ResourceQuota and a LimitRange."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import kube_type
from ..props import get
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of, nsa

DEFAULT_NAMESPACE = "shiksha-setu"


def check(resources: list[StackResource], config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    namespace = config.get("namespace") or DEFAULT_NAMESPACE
    kube = [r for r in resources if kube_type(r.resource_type) is not None]
    if not kube:
        return  # a docker-host stack has no cluster to budget
    present = {kind(r.resource_type) for r in kube
               if kind(r.resource_type) in ("ResourceQuota", "LimitRange") and namespace_of(r.props) == namespace}
    anchor = next((r for r in kube if kind(r.resource_type) == "Namespace"
                   and get(r.props, "metadata", "name") == namespace), None)
    for wanted in ("ResourceQuota", "LimitRange"):
        if wanted not in present:
            yield f"Namespace {namespace}", Finding(
                f"{wanted} (metadata.namespace={namespace!r})",
                "is missing from the stack; the platform namespace needs one", urn=anchor.urn if anchor else None)


RULE = Rule(
    name="platform-namespace-quota",
    description="The platform namespace must have a ResourceQuota and a LimitRange.",
    severity=Severity.MEDIUM,
    remediation_steps="Create a ResourceQuota (CPU/memory/object counts) and a LimitRange "
    "(default container requests/limits) in the platform namespace.",
    frameworks=(nsa("Resource policies: ResourceQuota and LimitRange"), ESTATE),
    stack_check=check,
    extra_config={"namespace": {"type": "string", "default": DEFAULT_NAMESPACE,
                                "description": "The platform namespace that needs the quota stack."}},
    tags=("namespace",),
)
