"""PSS restricted: Volume Types."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule
from ._common import on_pods, pss

ALLOWED = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


def check(pod: PodView) -> Iterator[Finding]:
    volumes = as_list(get(pod.spec, "volumes"))
    if is_unknown(volumes):
        return
    assert isinstance(volumes, list)
    for i, v in enumerate(volumes):
        if not isinstance(v, dict):
            continue
        for key, value in v.items():
            if key != "name" and key not in ALLOWED and value is not None:
                yield Finding(
                    pod.path("volumes", i, key),
                    f"(volume {v.get('name')!r}) is a {key} volume; Restricted allows only "
                    + ", ".join(sorted(ALLOWED)),
                )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.volumes",)

RULE = Rule(
    name="pss-restricted-volume-types",
    description="Pods may use only the core volume types the Restricted profile allows.",
    severity=Severity.MEDIUM,
    remediation_steps="Replace the volume with a PersistentVolumeClaim (the storage backend "
    "belongs in a PersistentVolume) or a configMap/secret/projected/emptyDir/ephemeral volume.",
    frameworks=(pss("Volume Types", "Restricted"),),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "restricted"),
)
