"""Guardrail: no LoadBalancer or NodePort Service except the declared edge."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import of_kinds
from ..props import get, is_unknown
from ..rule import Finding, Rule, Subject
from ..shapes import OBJECT_META, STR, sanitize
from ._common import ANNOTATION_EDGE, ESTATE, kind, nsa

EXPOSED = ("LoadBalancer", "NodePort")
SHAPE = {"metadata": OBJECT_META, "spec": {"type": STR}}


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    if kind(subject.resource_type) != "Service":
        return
    props, problems = sanitize(subject.props, SHAPE)
    yield from (Finding(p.path, p.found, expected=p.expected) for p in problems)
    t = get(props, "spec", "type")
    if t not in EXPOSED:
        return
    declared = get(props, "metadata", "annotations", ANNOTATION_EDGE)
    if declared == "true" or is_unknown(declared):
        return
    yield Finding(
        "spec.type",
        f"is {t!r} but the Service is not the declared edge "
        f'(metadata.annotations[{ANNOTATION_EDGE!r}] != "true"); use ClusterIP',
    )


RULE = Rule(
    name="service-no-undeclared-exposure",
    description="Only the declared edge Service may be of type LoadBalancer or NodePort.",
    severity=Severity.HIGH,
    remediation_steps="Use type ClusterIP and route through the ingress; if this Service is the "
    f'edge, annotate it {ANNOTATION_EDGE}: "true".',
    frameworks=(nsa("Network separation and hardening"), ESTATE),
    check=check,
    applies_to=of_kinds("Service"),
    tags=("network",),
)
