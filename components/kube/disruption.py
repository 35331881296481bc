"""PodDisruptionBudget (policy/v1) and HorizontalPodAutoscaler (autoscaling/v2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.workloads import WorkloadSpec


def pdb_spec(spec: WorkloadSpec, selector: Mapping[str, str]) -> dict[str, Any]:
    budget = spec.disruption_budget
    body: dict[str, Any] = {"selector": {"matchLabels": dict(selector)}}
    if budget.min_available is not None:
        body["minAvailable"] = budget.min_available
    else:
        body["maxUnavailable"] = budget.max_unavailable
    # Evict pods that never became ready, so a broken rollout cannot block a node drain.
    body["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return body


def hpa_spec(spec: WorkloadSpec, kind: str, name: str) -> dict[str, Any]:
    assert spec.autoscaling is not None
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
        "minReplicas": spec.autoscaling.min_replicas,
        "maxReplicas": spec.autoscaling.max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": spec.autoscaling.target_cpu_utilization,
                    },
                },
            }
        ],
        "behavior": {
            "scaleDown": {
                "stabilizationWindowSeconds": 300,
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
            }
        },
    }
