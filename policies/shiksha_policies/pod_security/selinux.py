"""PSS baseline: SELinux (type restricted, custom user/role forbidden)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get, is_unknown
from ..rule import Finding, Rule, cis
from ._common import is_bad, on_pods, pss

ALLOWED_TYPES_1_0 = ("", "container_t", "container_init_t", "container_kvm_t")
ALLOWED_TYPES = (*ALLOWED_TYPES_1_0, "container_engine_t")  # 1.31+


def _judge(opts: Any, path: Any, container: str | None, allowed: tuple[str, ...]) -> Iterator[Finding]:
    if not isinstance(opts, dict):
        return
    t = opts.get("type")
    if is_bad(t, allowed):
        yield Finding(path("type"), f"is {t!r}; must be unset or one of " + ", ".join(allowed[1:]), container)
    for field in ("user", "role"):
        v = opts.get(field)
        if v is not None and not is_unknown(v) and v != "":
            yield Finding(path(field), f"is {v!r}; custom SELinux {field} is forbidden", container)


def check(pod: PodView) -> Iterator[Finding]:
    allowed = ALLOWED_TYPES if pod.version >= (1, 31) else ALLOWED_TYPES_1_0
    yield from _judge(
        get(pod.spec, "securityContext", "seLinuxOptions"),
        lambda f: pod.path("securityContext", "seLinuxOptions", f),
        None,
        allowed,
    )
    for c in pod.containers():
        yield from _judge(
            get(c.body, "securityContext", "seLinuxOptions"),
            lambda f, c=c: c.sc_path("seLinuxOptions", f),
            c.name,
            allowed,
        )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.securityContext.seLinuxOptions", "spec.container.securityContext.seLinuxOptions")

RULE = Rule(
    name="pss-baseline-selinux",
    description="SELinux type must be a container type and custom user/role options must not be set.",
    severity=Severity.HIGH,
    remediation_steps="Remove seLinuxOptions.user and .role, and leave .type unset or use "
    "container_t / container_init_t / container_kvm_t / container_engine_t.",
    frameworks=(pss("SELinux", "Baseline"), cis("5.7.3 Apply Security Context to Your Pods and Containers")),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
