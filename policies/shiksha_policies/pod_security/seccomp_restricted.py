"""PSS restricted: Seccomp (RuntimeDefault or Localhost, explicitly set)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..remediations import seccomp_runtime_default
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, is_bad, on_pods, pss

ALLOWED = ("RuntimeDefault", "Localhost")


def check(pod: PodView) -> Iterator[Finding]:
    if pod.is_windows:  # a Linux-only control since Kubernetes 1.25
        return
    pod_path = pod.path("securityContext", "seccompProfile", "type")
    pod_type = get(pod.spec, "securityContext", "seccompProfile", "type")
    if is_bad(pod_type, ALLOWED):
        yield Finding(pod_path, f"is {pod_type!r}; must be RuntimeDefault or Localhost")
    for c in pod.containers():
        own = get(c.body, "securityContext", "seccompProfile", "type")
        if is_bad(own, ALLOWED):
            yield Finding(
                c.sc_path("seccompProfile", "type"),
                f"is {own!r}; must be RuntimeDefault or Localhost",
                c.name,
            )
        elif own is None and pod_type is None and not pod.partial:
            yield Finding(
                c.sc_path("seccompProfile", "type"),
                f"is unset and so is {pod_path}; one must be RuntimeDefault or Localhost",
                c.name,
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = (
    "spec.securityContext.seccompProfile.type",
    "spec.container.securityContext.seccompProfile.type",
    "spec.os.name",
)

RULE = Rule(
    name="pss-restricted-seccomp",
    description="A seccomp profile (RuntimeDefault or Localhost) must be explicitly set.",
    severity=Severity.HIGH,
    remediation_steps="Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod "
    "(containers inherit it) (remediation available).",
    frameworks=(
        pss("Seccomp", "Restricted"),
        cis("5.7.2 Ensure that the seccomp profile is set to docker/default in your pod definitions"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    remediate=seccomp_runtime_default,
    tags=("pss", "restricted"),
)
