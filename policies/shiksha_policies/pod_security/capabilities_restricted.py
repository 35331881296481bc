"""PSS restricted: Capabilities (drop ALL, add back only NET_BIND_SERVICE)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import as_list, get, is_unknown
from ..remediations import drop_all_capabilities
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, added_capabilities_outside, on_pods, pss

ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})


def check(pod: PodView) -> Iterator[Finding]:
    if pod.is_windows:  # a Linux-only control since Kubernetes 1.25
        return
    for c in pod.containers():
        caps = get(c.body, "securityContext", "capabilities")
        if is_unknown(caps):
            continue
        drop = as_list(get(caps, "drop"))
        if pod.partial and get(caps, "drop") is None:
            drop = ["ALL"]  # a patch that does not set drop leaves it as it is
        if not is_unknown(drop) and not any(is_unknown(d) for d in drop) and "ALL" not in drop:
            yield Finding(
                c.sc_path("capabilities", "drop"), f"is {drop if drop else 'unset'}; must include ALL", c.name
            )
        yield from added_capabilities_outside(c, ALLOWED_ADD, "only NET_BIND_SERVICE may be added")


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.securityContext.capabilities", "spec.os.name")

RULE = Rule(
    name="pss-restricted-capabilities",
    description="Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE.",
    severity=Severity.HIGH,
    remediation_steps="Set securityContext.capabilities.drop: [ALL] and keep capabilities.add "
    "empty or [NET_BIND_SERVICE] (remediation available for drop ALL).",
    frameworks=(
        pss("Capabilities", "Restricted"),
        cis("5.2.8/5.2.10 Minimize the admission of containers with NET_RAW / capabilities assigned"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    remediate=drop_all_capabilities,
    tags=("pss", "restricted"),
)
