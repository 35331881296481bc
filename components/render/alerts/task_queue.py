"""The Celery task queue: its depth where the tasks wait, read by the broker's exporter."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds
from components.datastores.registry import task_queue_depth


def rules(t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    return [
        # One rule, one set of annotations: the duplicate the old file carried is gone for good
        # because AlertRule has exactly one summary and one description.
        AlertRule(
            alert="HighTaskQueueDepth",
            expr=f"{task_queue_depth()} > {t.task_queue_depth}",
            for_="10m",
            severity="warning",
            summary="Celery queue {{ $labels.queue_name }} holds {{ $value }} tasks",
            description=(
                f"Queue {{{{ $labels.queue_name }}}} has held more than {t.task_queue_depth} tasks for "
                "10 minutes; workers are not keeping up."
            ),
            runbook="high-task-queue-depth",
        ),
    ]
