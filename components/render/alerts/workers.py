"""Celery workers: all gone (critical) or some gone (warning)."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds


def rules(_t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    return [
        AlertRule(
            alert="CeleryWorkersDown",
            expr='absent(up{job="worker"} == 1)',
            for_="5m",
            severity="critical",
            summary="No Celery worker is up",
            description=(
                "No worker metrics endpoint has answered for 5 minutes; background tasks are not processed."
            ),
            runbook="celery-workers-down",
        ),
        AlertRule(
            alert="CeleryWorkerDown",
            expr='up{job="worker"} == 0',
            for_="5m",
            severity="warning",
            summary="Celery worker {{ $labels.instance }} is down",
            description="Worker {{ $labels.instance }} has not answered its metrics scrape for 5 minutes.",
            runbook="celery-worker-down",
        ),
    ]
