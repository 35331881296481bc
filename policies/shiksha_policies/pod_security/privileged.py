"""PSS baseline: Privileged Containers."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        if get(c.body, "securityContext", "privileged") is True:
            yield Finding(c.sc_path("privileged"), "is true; must be unset or false", c.name)


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.securityContext.privileged",)

RULE = Rule(
    name="pss-baseline-privileged",
    description="Containers must not run privileged.",
    severity=Severity.CRITICAL,
    remediation_steps="Remove securityContext.privileged (or set it to false) on every "
    "container, init container and ephemeral container; grant a single capability instead "
    "if one is truly needed.",
    frameworks=(
        pss("Privileged Containers", "Baseline"),
        cis("5.2.2 Minimize the admission of privileged containers"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
