"""PSS baseline: Seccomp (never explicitly Unconfined)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, is_bad, on_pods, pss

ALLOWED = ("RuntimeDefault", "Localhost")


def check(pod: PodView) -> Iterator[Finding]:
    t = get(pod.spec, "securityContext", "seccompProfile", "type")
    if is_bad(t, ALLOWED):
        yield Finding(
            pod.path("securityContext", "seccompProfile", "type"),
            f"is {t!r}; must be unset, RuntimeDefault or Localhost",
        )
    for c in pod.containers():
        t = get(c.body, "securityContext", "seccompProfile", "type")
        if is_bad(t, ALLOWED):
            yield Finding(
                c.sc_path("seccompProfile", "type"),
                f"is {t!r}; must be unset, RuntimeDefault or Localhost",
                c.name,
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.securityContext.seccompProfile.type", "spec.container.securityContext.seccompProfile.type")

RULE = Rule(
    name="pss-baseline-seccomp",
    description="Seccomp must not be set to Unconfined.",
    severity=Severity.HIGH,
    remediation_steps="Set seccompProfile.type to RuntimeDefault (or a Localhost profile) "
    "instead of Unconfined.",
    frameworks=(
        pss("Seccomp", "Baseline"),
        cis("5.7.2 Ensure that the seccomp profile is set to docker/default in your pod definitions"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
