"""Startup, readiness and liveness probes."""

from __future__ import annotations

from typing import Any

from components.config.workloads import ProbeSpec


def probe(spec: ProbeSpec) -> dict[str, Any]:
    handler: dict[str, Any]
    if spec.http_path is not None:
        handler = {"httpGet": {"path": spec.http_path, "port": spec.port}}
    elif spec.tcp:
        handler = {"tcpSocket": {"port": spec.port}}
    else:
        handler = {"exec": {"command": list(spec.exec or [])}}
    return {
        **handler,
        "initialDelaySeconds": spec.initial_delay_seconds,
        "periodSeconds": spec.period_seconds,
        "timeoutSeconds": spec.timeout_seconds,
        "failureThreshold": spec.failure_threshold,
        # Kubernetes requires successThreshold 1 for liveness and startup probes.
        "successThreshold": 1,
    }
