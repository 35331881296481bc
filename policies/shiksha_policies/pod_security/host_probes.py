"""PSS baseline: Host Probes / Lifecycle Hooks (1.34+): no probe or hook names a host.

A probe or lifecycle handler with ``host`` set makes the kubelet connect to any address
from the node's network (check_hostProbesAndhostLifecycle.go).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get, is_unknown
from ..rule import Finding, Rule
from ._common import on_pods, pss

HANDLERS = (
    ("livenessProbe",),
    ("readinessProbe",),
    ("startupProbe",),
    ("lifecycle", "postStart"),
    ("lifecycle", "preStop"),
)
ACTIONS = ("httpGet", "tcpSocket")


def check(pod: PodView) -> Iterator[Finding]:
    if pod.version < (1, 34):
        return
    for c in pod.containers():
        for handler in HANDLERS:
            body = get(c.body, *handler)  # most containers set few of the five
            if body is None:
                continue
            for action in ACTIONS:
                host = get(body, action, "host")
                if host is None or host == "" or is_unknown(host):
                    continue
                yield Finding(c.at(*handler, action, "host"), f"is {host!r}; must be unset or empty", c.name)


READS = tuple(f"spec.container.{'.'.join(h)}.{a}.host" for h in HANDLERS for a in ACTIONS)

RULE = Rule(
    name="pss-baseline-host-probes",
    description="Probes and lifecycle hooks must not name a host (the kubelet would connect to it).",
    severity=Severity.MEDIUM,
    remediation_steps="Remove httpGet.host / tcpSocket.host from every probe and lifecycle hook; "
    "the kubelet then connects to the pod's own IP.",
    frameworks=(pss("Host Probes / Lifecycle Hooks", "Baseline"),),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
