"""PSS baseline: HostPath Volumes."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule, cis
from ._common import on_pods, pss


def check(pod: PodView) -> Iterator[Finding]:
    volumes = as_list(get(pod.spec, "volumes"))
    if is_unknown(volumes):
        return
    assert isinstance(volumes, list)
    for i, v in enumerate(volumes):
        if isinstance(v, dict) and v.get("hostPath") is not None and not is_unknown(v.get("hostPath")):
            yield Finding(
                pod.path("volumes", i, "hostPath"),
                f"mounts the node's {get(v, 'hostPath', 'path')!r} (volume {v.get('name')!r}); "
                "hostPath volumes are forbidden",
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.volumes",)

RULE = Rule(
    name="pss-baseline-host-path",
    description="Pods must not mount hostPath volumes.",
    severity=Severity.HIGH,
    remediation_steps="Replace the hostPath volume with an emptyDir, a ConfigMap/Secret "
    "projection or a PersistentVolumeClaim.",
    frameworks=(
        pss("HostPath Volumes", "Baseline"),
        cis("5.2.12 Minimize the admission of HostPath volumes"),
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
