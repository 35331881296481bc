"""The estate's secrets: read only from Pulumi secret config, kept as secret Outputs.

Each datastore role has a password of its own, so one leaked credential opens one door.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .datastores import BROKER, CACHE, POSTGRES, REPLICA
from .estate import EstateConfig


def postgres_exporter_deployed(config: EstateConfig) -> bool:
    """The PostgreSQL exporter runs (and needs its role) only with the Kubernetes monitoring."""
    return (
        config.target == "kubernetes"
        and config.monitoring.enabled
        and config.monitoring.exporters.postgres
        and POSTGRES in config.enabled_workloads
    )


def required_secrets(config: EstateConfig) -> dict[str, str]:
    """Secret config key -> what needs it. Only what the stack really uses is required."""
    needed = {}
    enabled = config.enabled_workloads
    if POSTGRES in enabled:
        needed["postgresAdminPassword"] = (
            "the PostgreSQL administrator's password (initialisation and operators only)"
        )
        needed["postgresPassword"] = "the PostgreSQL application role's password"
        if REPLICA in enabled:
            needed["postgresReplicationPassword"] = (
                "the PostgreSQL replication role's password (the read replicas' WAL stream)"
            )
        if postgres_exporter_deployed(config):
            needed["postgresExporterPassword"] = "the PostgreSQL exporter role's password (pg_monitor)"
    if BROKER in enabled:
        needed["redisPassword"] = "the Redis broker's application user's password (ACL user `app`)"
        needed["redisMonitorPassword"] = (
            "the Redis broker's read-only monitoring user's password (ACL user `monitor`)"
        )
    if CACHE in enabled:
        needed["redisCachePassword"] = "the Redis cache's application user's password (ACL user `app`)"
    if config.monitoring.enabled and config.monitoring.alertmanager.pagerduty_enabled:
        needed["pagerdutyRoutingKey"] = (
            "the PagerDuty Events v2 routing key of Alertmanager's critical receiver"
        )
    if config.logging.enabled and config.logging.username is not None:
        needed["loggingPassword"] = f"the log endpoint's password for user {config.logging.username}"
    if config.cdn.enabled:
        needed["cdnOriginAuth"] = f"the value the CDN sends in {config.cdn.origin_auth_header}"
    if config.secrets.external:
        # The operator fetches every workload secret (and the CDN's value) from the manager;
        # only the build's push token (used by Pulumi itself, never by a workload) can still
        # be required.
        needed.clear()
    if config.images.build is not None:
        needed["registryPassword"] = (
            f"the token that pushes images.build to {config.images.build.registry} "
            f"as {config.images.build.username}"
        )
    return needed


@dataclass(frozen=True)
class EstateSecrets:
    values: dict[str, pulumi.Output[str]]

    def __getitem__(self, key: str) -> pulumi.Output[str]:
        return self.values[key]

    def get(self, key: str) -> pulumi.Output[str] | None:
        return self.values.get(key)
