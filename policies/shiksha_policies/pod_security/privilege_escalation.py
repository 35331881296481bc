"""PSS restricted: Privilege Escalation (allowPrivilegeEscalation must be false)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get, is_unknown
from ..remediations import no_privilege_escalation
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, on_pods, pss, show


def check(pod: PodView) -> Iterator[Finding]:
    if pod.is_windows:  # a Linux-only control since Kubernetes 1.25
        return
    for c in pod.containers():
        v = get(c.body, "securityContext", "allowPrivilegeEscalation")
        if v is None and pod.partial:
            continue  # a patch that does not set the field leaves it as it is
        if not is_unknown(v) and v is not False:
            yield Finding(c.sc_path("allowPrivilegeEscalation"), f"is {show(v)}; must be false", c.name)


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.securityContext.allowPrivilegeEscalation", "spec.os.name")

RULE = Rule(
    name="pss-restricted-privilege-escalation",
    description="Containers must set allowPrivilegeEscalation to false.",
    severity=Severity.HIGH,
    remediation_steps="Set securityContext.allowPrivilegeEscalation: false on every container, "
    "init container and ephemeral container (remediation available).",
    frameworks=(
        pss("Privilege Escalation", "Restricted"),
        cis("5.2.6 Minimize the admission of containers with allowPrivilegeEscalation"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    remediate=no_privilege_escalation,
    tags=("pss", "restricted"),
)
