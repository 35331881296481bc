"""PostgreSQL and Redis: down, connection saturation, memory (exporter and cAdvisor series)."""

from __future__ import annotations

from components.config.datastores import BROKER_MEMORY_ALERT_RATIO
from components.config.monitoring import AlertRule, AlertThresholds

# How far (WAL bytes) a read replica may trail the primary before it is an alert.
REPLICA_LAG_BYTES = 256 * 2**20


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
            alert="PostgresReplicaLagging",
            # From the primary's pg_stat_replication: silent while there are no replicas.
            expr=f"max by (application_name) (pg_stat_replication_pg_wal_lsn_diff) > {REPLICA_LAG_BYTES}",
            for_="10m",
            severity="warning",
            summary="Read replica {{ $labels.application_name }} is {{ $value | humanize1024 }}B behind",
            description=(
                "A read replica has not replayed the primary's last 256 MiB of WAL: reads from "
                "postgres-ro return stale data."
            ),
            runbook="postgres-replica-lag",
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
