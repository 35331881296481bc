"""PSS baseline: Sysctls (only the namespaced, isolated "safe" set)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule
from ._common import on_pods, pss

# The Baseline allowed values, by the Kubernetes version that added them (check_sysctls.go).
ADDED: dict[tuple[int, int], frozenset[str]] = {
    (1, 0): frozenset(
        {
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        }
    ),
    (1, 27): frozenset({"net.ipv4.ip_local_reserved_ports"}),
    (1, 29): frozenset(
        {
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        }
    ),
    (1, 32): frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}),
    (1, 37): frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}),
}
SAFE_SYSCTLS = frozenset().union(*ADDED.values())


def safe_sysctls(version: tuple[int, int]) -> frozenset[str]:
    return frozenset().union(*(names for since, names in ADDED.items() if since <= version))


def check(pod: PodView) -> Iterator[Finding]:
    safe = safe_sysctls(pod.version)
    sysctls = as_list(get(pod.spec, "securityContext", "sysctls"))
    if is_unknown(sysctls):
        return
    assert isinstance(sysctls, list)
    for i, s in enumerate(sysctls):
        name = s.get("name") if isinstance(s, dict) else None
        if isinstance(name, str) and name not in safe:
            yield Finding(
                pod.path("securityContext", "sysctls", i, "name"),
                f"is {name!r}; only the safe sysctls are allowed",
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.securityContext.sysctls",)

RULE = Rule(
    name="pss-baseline-sysctls",
    description="Pods may set only the safe, namespaced sysctls.",
    severity=Severity.MEDIUM,
    remediation_steps="Remove the sysctl from spec.securityContext.sysctls, or tune the node "
    "instead; allowed: " + ", ".join(sorted(SAFE_SYSCTLS)) + ".",
    frameworks=(pss("Sysctls", "Baseline"),),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
