"""PostgreSQL and Redis: down, connection saturation, memory (exporter and cAdvisor series)."""

from __future__ import annotations

from components.config.datastores import BROKER_MEMORY_ALERT_RATIO
from components.config.monitoring import AlertRule, AlertThresholds


def rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    postgres = f'namespace="{namespace}",container="postgres"'
    pg_memory = (
        f"max by (pod) (container_memory_working_set_bytes{{{postgres}}})"
        f' / max by (pod) (kube_pod_container_resource_limits{{{postgres},resource="memory"}})'
        f" > {t.memory_saturation_ratio}"
    )
    return [
        AlertRule(
            alert="PostgresDown",
            expr="pg_up == 0 or absent(pg_up)",
            for_="2m",
            severity="critical",
            summary="PostgreSQL is down",
            description="The PostgreSQL exporter cannot reach the database (or is not reporting).",
            runbook="postgres-down",
        ),
        AlertRule(
            alert="PostgresConnectionSaturation",
            expr=(
                "sum(pg_stat_activity_count) / max(pg_settings_max_connections)"
                f" > {t.connection_saturation_ratio}"
            ),
            for_="10m",
            severity="warning",
            summary="PostgreSQL uses {{ $value | humanizePercentage }} of max_connections",
            description=(
                f"More than {t.connection_saturation_ratio:.0%} of max_connections are in use; new "
                "connections will soon be refused."
            ),
            runbook="postgres-connection-saturation",
        ),
        AlertRule(
            alert="PostgresMemoryNearLimit",
            expr=pg_memory,
            for_="15m",
            severity="warning",
            summary=(
                "PostgreSQL pod {{ $labels.pod }} is at {{ $value | humanizePercentage }} of its memory limit"
            ),
            description=(
                "The database container's working set is close to its limit; the kernel will OOM-kill it."
            ),
            runbook="postgres-memory",
        ),
        AlertRule(
            alert="RedisDown",
            expr="redis_up == 0 or absent(redis_up)",
            for_="2m",
            severity="critical",
            summary="Redis is down",
            description="The Redis exporter cannot reach Redis; the Celery broker and cache are unavailable.",
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
