"""PSS baseline: HostProcess (privileged access to the Windows host)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get, is_unknown
from ..rule import Finding, Rule, cis
from ._common import on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    if get(pod.spec, "securityContext", "windowsOptions", "hostProcess") is True:
        yield Finding(
            pod.path("securityContext", "windowsOptions", "hostProcess"), "is true; must be unset or false"
        )
    for c in pod.containers():
        v = get(c.body, "securityContext", "windowsOptions", "hostProcess")
        if not is_unknown(v) and v is True:
            yield Finding(
                c.sc_path("windowsOptions", "hostProcess"), "is true; must be unset or false", c.name
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = (
    "spec.securityContext.windowsOptions.hostProcess",
    "spec.container.securityContext.windowsOptions.hostProcess",
)

RULE = Rule(
    name="pss-baseline-host-process",
    description="Windows HostProcess containers must not be used (privileged access to the host).",
    severity=Severity.CRITICAL,
    remediation_steps="Remove securityContext.windowsOptions.hostProcess (or set it to false) "
    "at pod and container level; run node agents outside the application estate.",
    frameworks=(
        pss("HostProcess", "Baseline"),
        cis("5.2.11 Minimize the admission of Windows HostProcess containers"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
