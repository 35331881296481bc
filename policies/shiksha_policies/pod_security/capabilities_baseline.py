"""PSS baseline: Capabilities (only the default set may be added)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..rule import Finding, Rule, cis
from ._common import added_capabilities_outside, on_pods, pss

# The Baseline profile's allowed values for capabilities.add, as the PSS page lists them.
ALLOWED_ADD = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        yield from added_capabilities_outside(
            c, ALLOWED_ADD, f"Baseline allows only {', '.join(sorted(ALLOWED_ADD))}"
        )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.container.securityContext.capabilities.add",)

RULE = Rule(
    name="pss-baseline-capabilities",
    description="Containers may add only the capabilities the Baseline profile allows.",
    severity=Severity.HIGH,
    remediation_steps="Remove the capability from securityContext.capabilities.add; the "
    "Baseline set is AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, "
    "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.",
    frameworks=(
        pss("Capabilities", "Baseline"),
        cis("5.2.9 Minimize the admission of containers with added capabilities"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
