"""PSS baseline: /proc Mount Type."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get
from ..rule import Finding, Rule
from ._common import cis, is_bad, on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        v = get(c.body, "securityContext", "procMount")
        if is_bad(v, ("Default",)):
            yield Finding(c.sc_path("procMount"), f"is {v!r}; must be unset or 'Default'", c.name)


RULE = Rule(
    name="pss-baseline-proc-mount",
    description="Containers must keep the default masked /proc mount.",
    severity=Severity.HIGH,
    remediation_steps="Remove securityContext.procMount or set it to Default.",
    frameworks=(
        pss("/proc Mount Type", "Baseline"),
        cis("5.7.3 Apply Security Context to Your Pods and Containers"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
