"""PSS restricted: Running as Non-root user (runAsUser never 0)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, in_user_namespace, on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    if in_user_namespace(pod):
        return  # 1.35+: a user-namespace pod's root is not the host's
    if get(pod.spec, "securityContext", "runAsUser") == 0:
        yield Finding(pod.path("securityContext", "runAsUser"), "is 0 (root); must be non-zero or unset")
    for c in pod.containers():
        if get(c.body, "securityContext", "runAsUser") == 0:
            yield Finding(c.sc_path("runAsUser"), "is 0 (root); must be non-zero or unset", c.name)


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.securityContext.runAsUser", "spec.container.securityContext.runAsUser", "spec.hostUsers")

RULE = Rule(
    name="pss-restricted-run-as-non-root-user",
    description="No pod or container may set runAsUser to 0.",
    severity=Severity.HIGH,
    remediation_steps="Set runAsUser to the image's non-root UID (the estate's images use 1000) "
    "or remove it.",
    frameworks=(
        pss("Running as Non-root user", "Restricted"),
        cis("5.2.7 Minimize the admission of root containers"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "restricted"),
)
