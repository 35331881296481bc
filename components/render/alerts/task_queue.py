"""The Celery task queue: its depth in the broker, read by redis_exporter's key checks."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds
from components.datastores.redis import CELERY_QUEUES, KOMBU_PRIORITY_STEPS

# A queue's messages wait in its own list and its priority lists (`<queue>\x06\x16<step>`),
# each a `redis_key_size` series of the broker's exporter; the alert adds them up per queue.
# Written with PromQL's \x escapes, so the rule file holds no control characters.
_QUEUE_KEY = f"({'|'.join(CELERY_QUEUES)})(\\x06\\x16[{''.join(str(s) for s in KOMBU_PRIORITY_STEPS)}])?"


def rules(t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    lists = f'redis_key_size{{db="db0",key=~"{_QUEUE_KEY}"}}'
    depth = f'label_replace({lists}, "queue_name", "$1", "key", "{_QUEUE_KEY}")'
    return [
        # One rule, one set of annotations: the duplicate the old file carried is gone for good
        # because AlertRule has exactly one summary and one description.
        AlertRule(
            alert="HighTaskQueueDepth",
            expr=f"sum by (queue_name) ({depth}) > {t.task_queue_depth}",
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
