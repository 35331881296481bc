"""The log collector's DaemonSet pod: pure builders.

It needs exactly one host path, the kubelet's container log directory, mounted read-only.
The files there are root:root 0640 (containerd, CRI-O), so the process runs as uid 0 to
read them as their owner, with every capability dropped: no CAP_DAC_OVERRIDE, no
privilege escalation, a read-only root filesystem, and nothing on the node it can write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.logging import LoggingSpec
from components.render.collector import (
    AUTHORIZATION_ENV,
    CONFIG_DIR,
    CONFIG_FILE,
    HEALTH_PORT,
    POD_IP_ENV,
    PODS_DIR,
)

CONTAINER = "otel-collector"
# Host path -> why the collector mounts it (the policy-pack exemption quotes these).
HOST_PATHS = {
    PODS_DIR: "the kubelet writes every container's stdout/stderr here; the collector only reads it",
}
CREDENTIALS_KEY = AUTHORIZATION_ENV


def _security_context() -> dict[str, Any]:
    return {
        "runAsUser": 0,
        "runAsGroup": 0,
        "runAsNonRoot": False,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def collector_pod_spec(
    spec: LoggingSpec,
    service_account: str,
    config_map: str,
    credentials_secret: str | None,
) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": POD_IP_ENV, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    ]
    if credentials_secret is not None:
        env.append(
            {
                "name": AUTHORIZATION_ENV,
                "valueFrom": {"secretKeyRef": {"name": credentials_secret, "key": CREDENTIALS_KEY}},
            }
        )
    health = {"httpGet": {"path": "/", "port": "health"}}
    r = spec.resources
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsUser": 0,
            "runAsGroup": 0,
            "runAsNonRoot": False,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # Logs of every node, including tainted ones (GPU nodes, the control plane).
        "tolerations": [{"operator": "Exists"}],
        "containers": [
            {
                "name": CONTAINER,
                "image": spec.image,
                "args": [f"--config={CONFIG_DIR}/{CONFIG_FILE}"],
                "env": env,
                "ports": [{"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
                "resources": {
                    "requests": {"cpu": r.requests_cpu, "memory": r.requests_memory},
                    "limits": {"cpu": r.limits_cpu, "memory": r.limits_memory},
                },
                "securityContext": _security_context(),
                "readinessProbe": {**health, "periodSeconds": 10},
                "livenessProbe": {**health, "periodSeconds": 20, "failureThreshold": 5},
                "volumeMounts": [
                    {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                    *(
                        {"name": _volume(path), "mountPath": path, "readOnly": True}
                        for path in sorted(HOST_PATHS)
                    ),
                ],
            }
        ],
        "volumes": [
            {"name": "config", "configMap": {"name": config_map}},
            *(
                {"name": _volume(path), "hostPath": {"path": path, "type": "Directory"}}
                for path in sorted(HOST_PATHS)
            ),
        ],
    }


def _volume(path: str) -> str:
    return "host" + path.replace("/", "-")


def daemonset_spec(
    selector: Mapping[str, str],
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    pod: dict[str, Any],
) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": dict(selector)},
        # One node at a time: the others keep shipping while a collector restarts.
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
        "template": {
            "metadata": {"labels": dict(labels), "annotations": dict(annotations)},
            "spec": pod,
        },
    }
