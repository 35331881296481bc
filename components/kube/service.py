"""Services: ClusterIP for stateless workloads, headless for StatefulSets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.workloads import WorkloadSpec


def service_spec(spec: WorkloadSpec, selector: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "ClusterIP",
        "selector": dict(selector),
        "ports": [
            {"name": port_name, "port": port, "targetPort": port_name, "protocol": "TCP"}
            for port_name, port in spec.ports.items()
        ],
    }
    if spec.kind == "StatefulSet":
        body["clusterIP"] = "None"
    return body
