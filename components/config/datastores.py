"""PostgreSQL and Redis settings, shared by the Kubernetes and the docker-host targets.

Every value here ends up in postgres's command line or in redis.conf, so each is checked
whole-string with ASCII digits only: a newline or a `#` can never reach a config file.

The datastores' roles are fixed by name (DATASTORE_ROLES): `postgres` is the database,
`redis` the Celery broker (never evicts), `redis-cache` an optional cache (may evict).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from .base import StrictModel

# Workload name -> what it is; a workload reaches one by naming it in `connectsTo`.
POSTGRES = "postgres"
REPLICA = "postgres-ro"  # streaming read replicas, present while postgres.readReplicas > 0
BROKER = "redis"
CACHE = "redis-cache"
DATASTORE_ROLES = {POSTGRES: "database", REPLICA: "read replica", BROKER: "broker", CACHE: "cache"}

# PostgreSQL roles other than the application's (whose name is `postgres.appUser`).
PG_ADMIN_ROLE = "postgres"  # the image's superuser: initialisation and operators only
PG_EXPORTER_ROLE = "postgres_exporter"  # pg_monitor, nothing else
PG_REPLICATION_ROLE = "replicator"  # REPLICATION, for the read replicas' WAL stream only

# Redis ACL users of each instance. `default` is switched off.
REDIS_APP_USER = "app"
REDIS_MONITOR_USER = "monitor"

# The broker's memory alert fires at this share of maxmemory: well before Redis refuses writes.
BROKER_MEMORY_ALERT_RATIO = 0.75

_PG_SIZE = re.compile(r"([0-9]{1,12})(kB|MB|GB|TB)")
_PG_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _check_pg_size(value: str) -> str:
    match = _PG_SIZE.fullmatch(value)
    if not match or int(match.group(1)) <= 0:
        raise ValueError("expected a positive PostgreSQL size such as 256MB or 1GB (units kB, MB, GB, TB)")
    return value


def _check_pg_identifier(value: str) -> str:
    if not _PG_IDENTIFIER.fullmatch(value) or value.startswith("pg_"):
        raise ValueError(
            "expected a PostgreSQL name: lower-case letters, digits and '_', starting with a letter "
            "or '_', at most 63 characters, not starting with pg_"
        )
    if value in (PG_ADMIN_ROLE, PG_EXPORTER_ROLE, PG_REPLICATION_ROLE, "template0", "template1"):
        raise ValueError(f"{value!r} is reserved (the administrator, the exporter or a system database)")
    return value


PgSize = Annotated[str, AfterValidator(_check_pg_size)]
PgIdentifier = Annotated[str, AfterValidator(_check_pg_identifier)]


class PostgresTuning(StrictModel):
    """Server settings, passed as `-c key=value`. Sized for the 4Gi limit of production."""

    shared_buffers: PgSize = "1GB"
    effective_cache_size: PgSize = "3GB"
    work_mem: PgSize = "16MB"
    maintenance_work_mem: PgSize = "256MB"
    wal_buffers: PgSize = "16MB"
    max_connections: int = Field(default=200, ge=1, le=262143)
    checkpoint_completion_target: float = Field(default=0.9, gt=0, le=1, allow_inf_nan=False)
    random_page_cost: float = Field(default=1.1, gt=0, le=1_000_000, allow_inf_nan=False)
    effective_io_concurrency: int = Field(default=200, ge=0, le=1000)
    max_wal_size: PgSize = "2GB"
    min_wal_size: PgSize = "512MB"


class PostgresSettings(PostgresTuning):
    """The tuning plus who owns what: the application's database and its role."""

    database: PgIdentifier = Field(default="shiksha", description="the application's database")
    app_user: PgIdentifier = Field(
        default="shiksha", description="the application's role: owns `database`, nothing else"
    )
    read_replicas: int = Field(
        default=0,
        ge=0,
        le=15,
        description="streaming read replicas behind the `postgres-ro` Service (Kubernetes only)",
    )


def with_read_replicas(data: Any) -> Any:
    """The `postgres-ro` workload, derived from the primary's spec while readReplicas > 0: it
    is then a workload like any other, so `connectsTo: [postgres-ro]` hands out the read URL
    and the NetworkPolicies follow. Runs on the raw stack values, before validation."""
    if not isinstance(data, dict):
        return data
    postgres = data.get("postgres") or {}
    replicas = (
        postgres.get("readReplicas", postgres.get("read_replicas", 0)) if isinstance(postgres, dict) else 0
    )
    workloads = data.get("workloads")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas <= 0:
        return data
    if data.get("target") == "docker-host":
        raise ValueError(
            f"postgres.readReplicas: got {replicas}: the docker-host target runs one machine, where a "
            "replica on the same disk adds no availability; read replicas need the kubernetes target"
        )
    if not isinstance(workloads, dict) or not isinstance(workloads.get(POSTGRES), dict):
        return data
    primary = workloads[POSTGRES]
    replica = {
        key: value
        for key, value in primary.items()
        if key not in ("aliases", "autoscaling", "singleton", "disruptionBudget", "connectsTo")
    }
    replica.update(
        {"enabled": bool(primary.get("enabled", True)), "replicas": replicas, "connectsTo": [POSTGRES]}
    )
    return {**data, "workloads": {**workloads, REPLICA: replica}}


def tuning_keys() -> tuple[str, ...]:
    return tuple(PostgresTuning.model_fields)


_REDIS_BYTES = re.compile(r"([0-9]{1,12})(kb|mb|gb)")
_SAVE_RULE = re.compile(r"([0-9]{1,9}) ([0-9]{1,9})")


def _check_redis_bytes(value: str) -> str:
    match = _REDIS_BYTES.fullmatch(value)
    if not match or int(match.group(1)) <= 0:
        raise ValueError("expected a positive Redis memory size such as 768mb or 1gb")
    return value


def _check_save_rule(value: str) -> str:
    match = _SAVE_RULE.fullmatch(value)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise ValueError('expected "<seconds> <changes>" with two positive whole numbers, such as "900 1"')
    return value


RedisBytes = Annotated[str, AfterValidator(_check_redis_bytes)]
SaveRule = Annotated[str, AfterValidator(_check_save_rule)]


def _check_broker_policy(value: str) -> str:
    if value != "noeviction":
        raise ValueError(
            "the broker never evicts: an evicted key is a lost Celery task or binding. Use "
            "noeviction here, and the `redis-cache` workload (redisCache.maxmemoryPolicy) for a "
            "cache that may evict"
        )
    return value


class RedisSettings(StrictModel):
    """The Celery broker and result backend: never evicts, keeps an append-only file."""

    maxmemory: RedisBytes = "768mb"
    maxmemory_policy: Annotated[str, AfterValidator(_check_broker_policy)] = "noeviction"
    appendonly: bool = True
    appendfsync: Literal["always", "everysec", "no"] = "everysec"
    # RDB snapshots next to the AOF; an empty list writes `save ""` (no snapshots).
    save: list[SaveRule] = Field(default_factory=lambda: ["900 1", "300 10", "60 10000"])


class RedisCacheSettings(StrictModel):
    """The optional cache (`workloads.redis-cache`): may evict, keeps nothing on disk."""

    maxmemory: RedisBytes = "256mb"
    maxmemory_policy: Literal[
        "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"
    ] = "allkeys-lru"
