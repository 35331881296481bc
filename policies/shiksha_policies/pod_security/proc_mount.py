"""PSS baseline: /proc Mount Type."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule, cis
from ._common import in_user_namespace, is_bad, on_pods, pss


def masked(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        v = get(c.body, "securityContext", "procMount")
        if is_bad(v, ("Default",)):
            yield Finding(c.sc_path("procMount"), f"is {v!r}; must be unset or 'Default'", c.name)


def check(pod: PodView) -> Iterator[Finding]:
    # From 1.35 a pod in a user namespace (hostUsers: false) may unmask /proc at Baseline;
    # Restricted still forbids it (proc_mount_restricted).
    if not in_user_namespace(pod):
        yield from masked(pod)


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.securityContext.procMount", "spec.hostUsers")

RULE = Rule(
    name="pss-baseline-proc-mount",
    description="Containers must keep the default masked /proc mount (unless the pod runs in a "
    "user namespace).",
    severity=Severity.HIGH,
    remediation_steps="Remove securityContext.procMount or set it to Default.",
    frameworks=(
        pss("/proc Mount Type", "Baseline"),
        cis("5.7.3 Apply Security Context to Your Pods and Containers"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
