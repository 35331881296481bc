"""PSS restricted: /proc Mount Type (1.35+), unmasked /proc forbidden even in a user namespace.

From 1.35 the Baseline control lets a pod with hostUsers: false unmask /proc; Restricted
keeps the unconditional rule (check_procMount_restricted.go). Before 1.35 Baseline's own
control already forbids it everywhere, so this one judges nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..rule import Finding, Rule, cis
from ._common import in_user_namespace, on_pods, pss
from .proc_mount import READS, masked


def check(pod: PodView) -> Iterator[Finding]:
    if in_user_namespace(pod):  # otherwise pss-baseline-proc-mount already reports it
        yield from masked(pod)


RULE = Rule(
    name="pss-restricted-proc-mount",
    description="Containers must keep the default masked /proc mount, in a user namespace too.",
    severity=Severity.HIGH,
    remediation_steps="Remove securityContext.procMount or set it to Default.",
    frameworks=(
        pss("/proc Mount Type", "Restricted"),
        cis("5.7.3 Apply Security Context to Your Pods and Containers"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "restricted"),
)
