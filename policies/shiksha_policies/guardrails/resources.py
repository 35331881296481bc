"""Guardrail: resource requests and limits on every container."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..kube import PodView, is_pod_type
from ..pod_security._common import on_pods
from ..props import get, is_unknown
from ..rule import Finding, Rule
from ._common import ESTATE, nsa

REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        if c.list_name == "ephemeralContainers":
            continue  # the API forbids resources on ephemeral containers
        res = c.body.get("resources")
        if is_unknown(res):
            continue
        for section, resource in REQUIRED:
            v = get(res, section, resource)
            if (v is None and not pod.partial) or v == "":
                yield Finding(c.at("resources", section, resource), "is unset; must be set", c.name)


RULE = Rule(
    name="workload-resources",
    description="Every container must declare CPU and memory requests and limits.",
    severity=Severity.MEDIUM,
    remediation_steps="Set resources.requests.{cpu,memory} and resources.limits.{cpu,memory} "
    "on every container and init container.",
    frameworks=(nsa("Resource policies: requests and limits"), ESTATE),
    check=on_pods(check, ("spec.container.resources",)),
    applies_to=is_pod_type,
    tags=("workload",),
)
