"""Namespace with Pod Security Admission labels, its ResourceQuota and LimitRange."""

from __future__ import annotations

from typing import Any

from components.config.namespace import NamespaceSpec


def psa_labels(spec: NamespaceSpec) -> dict[str, str]:
    return {
        f"pod-security.kubernetes.io/{mode}": spec.pod_security for mode in ("enforce", "audit", "warn")
    } | {f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")}


def quota_spec(spec: NamespaceSpec) -> dict[str, Any]:
    q = spec.quota
    return {
        "hard": {
            "requests.cpu": q.requests_cpu,
            "requests.memory": q.requests_memory,
            "limits.cpu": q.limits_cpu,
            "limits.memory": q.limits_memory,
            "requests.nvidia.com/gpu": str(q.requests_gpu),
            "pods": str(q.pods),
            "services": str(q.services),
            "persistentvolumeclaims": str(q.persistent_volume_claims),
            "configmaps": str(q.config_maps),
            "secrets": str(q.secrets),
            "services.loadbalancers": str(q.load_balancers),
            "services.nodeports": str(q.node_ports),
        }
    }


def limit_range_spec(spec: NamespaceSpec) -> dict[str, Any]:
    lr = spec.limit_range
    return {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": lr.default_request_cpu, "memory": lr.default_request_memory},
                "default": {"cpu": lr.default_limit_cpu, "memory": lr.default_limit_memory},
                "max": {"cpu": lr.max_cpu, "memory": lr.max_memory},
            }
        ]
    }
