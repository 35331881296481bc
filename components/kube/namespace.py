"""Namespaces with Pod Security Admission labels (the one builder every namespace of the
estate uses: the platform's and the LoggingStack's), and the platform's ResourceQuota and
LimitRange."""

from __future__ import annotations

from typing import Any, Literal

from components.config.namespace import NamespaceSpec

from .labels import MANAGED_BY
from .metadata import metadata

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def psa_labels(enforce: PodSecurityLevel, audit_and_warn: PodSecurityLevel | None = None) -> dict[str, str]:
    """Enforce one level; audit and warn at `audit_and_warn` (default: the enforced level),
    so a namespace that must enforce a weaker level still reports what a stricter one refuses.
    Every mode follows the cluster's latest Pod Security Standards."""
    levels = {"enforce": enforce, "audit": audit_and_warn or enforce, "warn": audit_and_warn or enforce}
    return {f"pod-security.kubernetes.io/{mode}": level for mode, level in levels.items()} | {
        f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in levels
    }


def namespace_labels(part_of: str) -> dict[str, str]:
    """The labels every object the estate adds to a namespace of its own carries."""
    return {"app.kubernetes.io/part-of": part_of, "app.kubernetes.io/managed-by": MANAGED_BY}


def namespace_metadata(
    name: str, part_of: str, enforce: PodSecurityLevel, audit_and_warn: PodSecurityLevel | None = None
) -> dict[str, Any]:
    return metadata(name, None, namespace_labels(part_of) | psa_labels(enforce, audit_and_warn))


def platform_namespace_metadata(spec: NamespaceSpec, part_of: str) -> dict[str, Any]:
    """The platform namespace enforces, audits and warns at its one configured level."""
    return namespace_metadata(spec.name, part_of, spec.pod_security)


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
