"""PSS baseline: Seccomp (never explicitly Unconfined)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule
from ._common import NSA_POD, cis, on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    if get(pod.spec, "securityContext", "seccompProfile", "type") == "Unconfined":
        yield Finding(
            pod.path("securityContext", "seccompProfile", "type"),
            "is 'Unconfined'; must be unset, RuntimeDefault or Localhost",
        )
    for c in pod.containers():
        if get(c.body, "securityContext", "seccompProfile", "type") == "Unconfined":
            yield Finding(
                c.sc_path("seccompProfile", "type"),
                "is 'Unconfined'; must be unset, RuntimeDefault or Localhost",
                c.name,
            )


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
    check=on_pods(check),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
