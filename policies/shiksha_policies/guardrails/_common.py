"""Helpers shared by guardrail modules."""

from __future__ import annotations

from typing import Any

from ..kube import kind_of
from ..props import get, is_unknown
from ..rule import NSA, Framework

ANNOTATION_EDGE = "shiksha.io/edge"
ANNOTATION_TOKEN_REASON = "shiksha.io/automount-token-reason"  # noqa: S105 - an annotation name
ANNOTATION_PROBES_OPT_OUT = "shiksha.io/probes-opt-out"


def nsa(item: str) -> Framework:
    return Framework(NSA, item, "1.2")


ESTATE = Framework("Shiksha Setu estate guardrails", "infrastructure-changelog: Kubernetes optimizations")


def namespace_of(props: Any) -> Any:
    """The object's namespace; unset means the provider default, taken as 'default'."""
    ns = get(props, "metadata", "namespace")
    if is_unknown(ns):
        return ns
    return ns if isinstance(ns, str) and ns else "default"


def kind(resource_type: str) -> str | None:
    return kind_of(resource_type)
