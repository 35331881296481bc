"""Redis's monitoring: what its exporter is told, and the alerts on the series it gives."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from components.config.alerts import AlertRule

from ..base import first_port
from .acl import celery_queue_keys
from .settings import BROKER, REDIS_MONITOR_USER

if TYPE_CHECKING:
    from components.config.alerts import AlertThresholds
    from components.config.estate import EstateConfig

# The broker's memory alert fires at this share of maxmemory: well before Redis refuses writes.
BROKER_MEMORY_ALERT_RATIO = 0.75


def exporter_env(config: EstateConfig) -> dict[str, str]:
    """Where the exporter reads the broker, as its read-only ACL user `monitor`."""
    return {
        "REDIS_ADDR": f"redis://{BROKER}:{first_port(config, BROKER)}",
        "REDIS_USER": REDIS_MONITOR_USER,
        # redis_key_size{key="celery"}: HighTaskQueueDepth's series. The exporter URL-decodes
        # each key, so the priority queues' \x06\x16 travel as %06%16.
        "REDIS_EXPORTER_CHECK_SINGLE_KEYS": ",".join(
            f"db0={quote(key, safe='')}" for key in celery_queue_keys()
        ),
    }


def alert_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    return [
        AlertRule(
            alert="RedisDown",
            expr="redis_up == 0 or absent(redis_up)",
            for_="2m",
            severity="critical",
            summary="Redis is down",
            description=(
                "The Redis exporter cannot reach the broker or log in as monitor (its log says which: "
                "connection refused or WRONGPASS), or is not reporting at all."
            ),
            runbook="redis-down",
        ),
        AlertRule(
            alert="RedisConnectionSaturation",
            expr=f"redis_connected_clients / redis_config_maxclients > {t.connection_saturation_ratio}",
            for_="10m",
            severity="warning",
            summary="Redis uses {{ $value | humanizePercentage }} of maxclients",
            description=f"More than {t.connection_saturation_ratio:.0%} of Redis maxclients are connected.",
            runbook="redis-connection-saturation",
        ),
        AlertRule(
            alert="RedisMemoryHigh",
            # The broker never evicts: the warning comes well before writes are refused.
            # Without maxmemory the ratio is meaningless; the guard keeps it from dividing by 0.
            expr=f"redis_memory_used_bytes / (redis_memory_max_bytes > 0) > {BROKER_MEMORY_ALERT_RATIO}",
            for_="10m",
            severity="warning",
            summary="Redis broker memory at {{ $value | humanizePercentage }} of maxmemory",
            description=(
                "The Celery broker never evicts: at maxmemory it refuses new tasks with an OOM error. "
                "Drain the queues (are the workers running?) or raise redis.maxmemory."
            ),
            runbook="redis-memory",
        ),
        AlertRule(
            alert="RedisBrokerRefusingWrites",
            expr=(
                'increase(redis_errors_total{err="OOM"}[5m]) > 0'
                " or redis_memory_used_bytes / (redis_memory_max_bytes > 0) >= 0.98"
            ),
            severity="critical",
            summary="The Redis broker is full and refuses new tasks",
            description=(
                "Producers get OOM errors: tasks are not being queued. Nothing already queued is lost "
                "(noeviction); drain the queues or raise redis.maxmemory."
            ),
            runbook="redis-broker-full",
        ),
    ]
