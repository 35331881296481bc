"""Guardrail: every container runs with a read-only root filesystem."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..kube import PodView, is_pod_type
from ..pod_security._common import on_pods, show
from ..props import get, is_unknown
from ..rule import Finding, Rule
from ._common import ESTATE, nsa


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        v = get(c.body, "securityContext", "readOnlyRootFilesystem")
        if v is None and pod.partial:
            continue  # a patch that does not set the field leaves it as it is
        if not is_unknown(v) and v is not True:
            yield Finding(c.sc_path("readOnlyRootFilesystem"), f"is {show(v)}; must be true", c.name)


RULE = Rule(
    name="workload-read-only-root-filesystem",
    description="Containers must run with a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation_steps="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir "
    "at each path the process writes to (e.g. /tmp).",
    frameworks=(nsa("Immutable container file systems"), ESTATE),
    check=on_pods(check, ("spec.container.securityContext.readOnlyRootFilesystem",)),
    applies_to=is_pod_type,
    tags=("workload",),
)
