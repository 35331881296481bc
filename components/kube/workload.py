"""Deployment and StatefulSet: the controllers around a pod template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.workloads import WorkloadSpec


def _deployment_strategy(spec: WorkloadSpec) -> dict[str, Any]:
    if spec.singleton:
        # Never two schedulers at once, not even for the length of a rollout.
        return {"type": "Recreate"}
    if spec.gpu is not None and spec.max_replicas == 1:
        # A surge pod would wait forever for a second GPU.
        return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def deployment_spec(
    spec: WorkloadSpec, selector: Mapping[str, str], template: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "selector": {"matchLabels": dict(selector)},
        "strategy": _deployment_strategy(spec),
        "revisionHistoryLimit": 5,
        "template": template,
    }
    if spec.autoscaling is None:
        # With an autoscaler the replica count belongs to it, not to every `pulumi up`.
        body["replicas"] = spec.replicas
    return body


def statefulset_spec(
    spec: WorkloadSpec,
    selector: Mapping[str, str],
    template: dict[str, Any],
    service_name: str,
) -> dict[str, Any]:
    assert spec.storage is not None  # guaranteed by WorkloadSpec validation
    claim: dict[str, Any] = {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": spec.storage.size}},
        },
    }
    if spec.storage.storage_class:
        claim["spec"]["storageClassName"] = spec.storage.storage_class
    return {
        "replicas": spec.replicas,
        "serviceName": service_name,
        "selector": {"matchLabels": dict(selector)},
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate"},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "revisionHistoryLimit": 5,
        "template": template,
        "volumeClaimTemplates": [claim],
    }
