"""PSS baseline: Host Namespaces (hostNetwork, hostPID, hostIPC)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if get(pod.spec, field) is True:
            yield Finding(pod.path(field), "is true; must be unset or false")


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.hostNetwork", "spec.hostPID", "spec.hostIPC")

RULE = Rule(
    name="pss-baseline-host-namespaces",
    description="Pods must not share the host's network, PID or IPC namespace.",
    severity=Severity.HIGH,
    remediation_steps="Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to "
    "false); expose the workload through a Service instead of the node's network.",
    frameworks=(
        pss("Host Namespaces", "Baseline"),
        cis(
            "5.2.3/5.2.4/5.2.5 Minimize the admission of containers sharing host PID, IPC "
            "and network namespaces"
        ),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
