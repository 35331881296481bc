"""The pod template: containers, volumes, scheduling and security in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.config.workloads import WorkloadSpec, writable_volume_name

from .probes import probe
from .security import container_security_context, opt_out_annotations, pod_security_context

TOKEN_REASON_ANNOTATION = "shiksha.io/automount-token-reason"  # noqa: S105 (an annotation key)
PROBES_OPT_OUT_ANNOTATION = "shiksha.io/probes-opt-out"


@dataclass(frozen=True)
class VolumeMount:
    """A ConfigMap or Secret (by object name) mounted read-only at a path."""

    volume: str
    object_name: pulumi.Input[str]
    mount_path: str
    secret: bool = False


def _scheduling(spec: WorkloadSpec, selector: Mapping[str, str]) -> dict[str, Any]:
    scheduling: dict[str, Any] = {
        # Preferred, not required: a small cluster still schedules every replica.
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": dict(selector)},
                        },
                    }
                ]
            }
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(selector)},
            }
        ],
    }
    node_selector = dict(spec.node_selector)
    tolerations = [t.model_dump(by_alias=True, exclude_none=True) for t in spec.tolerations]
    if spec.gpu is not None:
        node_selector.update(spec.gpu.node_selector)
        tolerations += [t.model_dump(by_alias=True, exclude_none=True) for t in spec.gpu.tolerations]
    if node_selector:
        scheduling["nodeSelector"] = node_selector
    if tolerations:
        scheduling["tolerations"] = tolerations
    return scheduling


def _resources(spec: WorkloadSpec) -> dict[str, Any]:
    requests: dict[str, Any] = spec.resources.requests.model_dump()
    limits: dict[str, Any] = spec.resources.limits.model_dump()
    if spec.gpu is not None:
        # Extended resources: the request must equal the limit.
        requests[spec.gpu.resource] = str(spec.gpu.count)
        limits[spec.gpu.resource] = str(spec.gpu.count)
    return {"requests": requests, "limits": limits}


def pod_template(
    name: str,
    spec: WorkloadSpec,
    image: pulumi.Input[str],
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    service_account: str,
    annotations: Mapping[str, pulumi.Input[str]],
    mounts: Sequence[VolumeMount] = (),
    secret_env: Mapping[str, tuple[pulumi.Input[str], str]] | None = None,
) -> dict[str, Any]:
    """`secret_env` maps an env var to (Secret name, key): values never appear in the spec."""
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    env += [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for var, (secret, key) in sorted((secret_env or {}).items())
    ]
    volumes: list[dict[str, Any]] = [
        {"name": writable_volume_name(path), "emptyDir": {"sizeLimit": "1Gi"}} for path in spec.writable_paths
    ]
    volume_mounts: list[dict[str, Any]] = [
        {"name": writable_volume_name(path), "mountPath": path} for path in spec.writable_paths
    ]
    for mount in mounts:
        source = (
            {"secret": {"secretName": mount.object_name, "defaultMode": 0o440}}
            if mount.secret
            else {"configMap": {"name": mount.object_name, "defaultMode": 0o444}}
        )
        volumes.append({"name": mount.volume, **source})
        volume_mounts.append({"name": mount.volume, "mountPath": mount.mount_path, "readOnly": True})
    if spec.storage is not None:
        volume_mounts.append({"name": "data", "mountPath": spec.storage.mount_path})

    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": port_name, "containerPort": port, "protocol": "TCP"}
            for port_name, port in spec.ports.items()
        ],
        "env": env,
        "resources": _resources(spec),
        "securityContext": container_security_context(spec.security),
        "volumeMounts": volume_mounts,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if spec.command is not None:
        container["command"] = list(spec.command)
    if spec.args is not None:
        container["args"] = list(spec.args)
    for kind in ("startup", "readiness", "liveness"):
        probe_spec = getattr(spec.effective_probes, kind)
        if probe_spec is not None:
            container[f"{kind}Probe"] = probe(probe_spec)

    pod_annotations: dict[str, pulumi.Input[str]] = {**annotations, **opt_out_annotations(spec.security)}
    if spec.automount_token_reason:
        pod_annotations[TOKEN_REASON_ANNOTATION] = spec.automount_token_reason
    if spec.probes.disabled and spec.probes.opt_out_reason:
        pod_annotations[PROBES_OPT_OUT_ANNOTATION] = spec.probes.opt_out_reason
    return {
        "metadata": {"labels": dict(labels), "annotations": pod_annotations},
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": spec.automount_token_reason is not None,
            "enableServiceLinks": False,
            "securityContext": pod_security_context(spec.security),
            "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
            "containers": [container],
            "volumes": volumes,
            **_scheduling(spec, selector),
        },
    }
