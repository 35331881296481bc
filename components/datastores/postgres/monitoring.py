"""PostgreSQL's monitoring: when its exporter runs, what the exporter is told, and the
alerts on the series it gives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.config.alerts import AlertRule

from ..base import first_port
from .settings import PG_EXPORTER_ROLE, PRIMARY

if TYPE_CHECKING:
    from components.config.alerts import AlertThresholds
    from components.config.estate import EstateConfig

# How far (WAL bytes) a read replica may trail the primary before it is an alert.
REPLICA_LAG_BYTES = 256 * 2**20


def exporter_deployed(config: EstateConfig) -> bool:
    """The PostgreSQL exporter runs (and needs its role) only with the Kubernetes monitoring."""
    return (
        config.target == "kubernetes"
        and config.monitoring.enabled
        and config.monitoring.exporters.postgres
        and PRIMARY in config.enabled_workloads
    )


def exporter_env(config: EstateConfig) -> dict[str, str]:
    port, database = first_port(config, PRIMARY), config.postgres.database
    return {
        # In-cluster traffic; the server's pg_hba requires SCRAM, not TLS.
        "DATA_SOURCE_URI": f"{PRIMARY}:{port}/{database}?sslmode=disable",
        # pg_monitor and CONNECT on the application's database, nothing else.
        "DATA_SOURCE_USER": PG_EXPORTER_ROLE,
    }


def alert_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    container = f'namespace="{namespace}",container="{PRIMARY}"'
    memory = (
        f"max by (pod) (container_memory_working_set_bytes{{{container}}})"
        f' / max by (pod) (kube_pod_container_resource_limits{{{container},resource="memory"}})'
        f" > {t.memory_saturation_ratio}"
    )
    return [
        AlertRule(
            alert="PostgresDown",
            expr="pg_up == 0 or absent(pg_up)",
            for_="2m",
            severity="critical",
            summary="PostgreSQL is down",
            description=(
                "The PostgreSQL exporter cannot reach the database or log in as postgres_exporter (its "
                "log says which: connection refused or password authentication failed), or is not reporting."
            ),
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
            expr=memory,
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
    ]
