"""PSS baseline: Host Ports."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import as_list, is_unknown
from ..rule import Finding, Rule, cis
from ._common import on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        ports = as_list(c.body.get("ports"))
        if is_unknown(ports):
            continue
        assert isinstance(ports, list)
        for i, p in enumerate(ports):
            hp = p.get("hostPort") if isinstance(p, dict) else None
            if isinstance(hp, int) and hp != 0:
                yield Finding(c.at("ports", i, "hostPort"), f"is {hp}; must be unset or 0", c.name)


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.ports",)

RULE = Rule(
    name="pss-baseline-host-ports",
    description="Containers must not bind host ports.",
    severity=Severity.HIGH,
    remediation_steps="Remove ports[*].hostPort; publish the port through a Service "
    "(ClusterIP behind the declared edge).",
    frameworks=(
        pss("Host Ports", "Baseline"),
        cis("5.2.13 Minimize the admission of containers which use HostPorts"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
