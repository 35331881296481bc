"""PostgreSQL's settings: what the config model knows of it (a leaf below the model).

Its `postgres.*` settings, its roles (the `postgres` primary and the `postgres-ro` read
replicas) and PostgreSQL role names, its secret keys and its exporter. Every settings
value ends up on postgres's command line, so each is checked whole-string with ASCII
digits only: a newline or a `#` can never reach a file. Imports only the config base and
value kinds; the behaviour (files, wiring, checks, alerts) is the rest of this package.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt, model_validator

from components.config.base import StrictModel
from components.config.types import Dns1035Label, PinnedImage
from components.datastores.facts import Exporter, Facts

# Workload names of its roles; a workload reaches one by naming it in `connectsTo`.
PRIMARY = "postgres"
REPLICA = "postgres-ro"  # streaming read replicas, present while postgres.readReplicas > 0
IMAGE = "postgres"

# PostgreSQL roles other than the application's (whose name is `postgres.appUser`).
PG_ADMIN_ROLE = "postgres"  # the image's superuser: initialisation and operators only
PG_EXPORTER_ROLE = "postgres_exporter"  # pg_monitor, nothing else
PG_REPLICATION_ROLE = "replicator"  # REPLICATION, for the read replicas' WAL stream only

# The exporter's role may hold this many connections (its CONNECTION LIMIT): what the
# connection budget counts for it.
PG_EXPORTER_CONNECTIONS = 3


def replication_connections(read_replicas: int) -> int:
    """The replication role's connection limit: one WAL stream per replica, plus the two a
    replica re-cloning itself holds (pg_basebackup's base backup and its WAL stream)."""
    return read_replicas + 2


# --- settings (`postgres.*`) ---------------------------------------------------------------

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

    # Each value is one `-c key=value` argument of the postgres and postgres-ro containers
    # (files.postgres_args), so a replica runs with its primary's settings.
    shared_buffers: PgSize = Field(
        default="1GB",
        description="the server's shared page cache (`-c shared_buffers`), allocated at start inside "
        "the container's memory limit",
    )
    effective_cache_size: PgSize = Field(
        default="3GB",
        description="the planner's estimate of the OS and shared cache (`-c effective_cache_size`); "
        "allocates nothing, makes index scans look cheaper",
    )
    work_mem: PgSize = Field(
        default="16MB",
        description="memory per sort or hash step of a query before it spills to temporary files "
        "(`-c work_mem`); one query may use it several times",
    )
    maintenance_work_mem: PgSize = Field(
        default="256MB",
        description="memory for VACUUM, CREATE INDEX and ALTER TABLE ADD FOREIGN KEY "
        "(`-c maintenance_work_mem`)",
    )
    wal_buffers: PgSize = Field(
        default="16MB",
        description="shared memory for WAL not yet written to disk (`-c wal_buffers`)",
    )
    max_connections: int = Field(
        default=200,
        ge=1,
        le=262143,
        description="the server's connection slots (`-c max_connections`): the gate refuses pools "
        "that need more at full scale; the PostgresConnectionSaturation alert's denominator",
    )
    # PostgreSQL's defaults, set explicitly because the gate's connection budget reads them:
    # slots only a superuser may take (the administrator's way in when the pools are full),
    # and WAL senders (the read replicas' streams, outside max_connections since PG 12).
    superuser_reserved_connections: int = Field(
        default=3,
        ge=0,
        le=262143,
        description="slots of maxConnections kept for the `postgres` administrator "
        "(`-c superuser_reserved_connections`); the budget subtracts them from the pools' share",
    )
    max_wal_senders: int = Field(
        default=10,
        ge=0,
        le=262143,
        description="WAL streaming connections (`-c max_wal_senders`); the gate requires "
        "readReplicas + 2 of them",
    )
    checkpoint_completion_target: float = Field(
        default=0.9,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="fraction of the checkpoint interval over which a checkpoint's writes are "
        "spread (`-c checkpoint_completion_target`)",
    )
    random_page_cost: float = Field(
        default=1.1,
        gt=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="the planner's cost of a non-sequential page read (`-c random_page_cost`); "
        "1.1 suits SSD volumes, 4 spinning disks",
    )
    effective_io_concurrency: int = Field(
        default=200,
        ge=0,
        le=1000,
        description="concurrent disk reads the server issues for bitmap heap scans "
        "(`-c effective_io_concurrency`); 0 turns prefetching off",
    )
    max_wal_size: PgSize = Field(
        default="2GB",
        description="WAL growth that triggers a checkpoint (`-c max_wal_size`): larger means "
        "fewer checkpoints, longer crash recovery",
    )
    min_wal_size: PgSize = Field(
        default="512MB",
        description="WAL kept for reuse after a checkpoint instead of removed (`-c min_wal_size`)",
    )


# SQLAlchemy reads pool_size 0 as "no limit" and max_overflow -1 as "no limit on overflow":
# neither can be budgeted, so neither is a value here.
PoolSize = Annotated[StrictInt, Field(ge=1, le=10_000)]
PoolOverflow = Annotated[StrictInt, Field(ge=0, le=10_000)]


class PoolSpec(StrictModel):
    """One workload's SQLAlchemy connection pool (`postgres.pools.<workload>`). Every process
    of a pod opens its own pool per engine (DATABASE_URL, and DATABASE_READ_URL where given):
    `size` connections kept open, up to `maxOverflow` more under load."""

    processes: PoolSize = Field(
        default=1,
        description="processes per pod, each with its own pool: gunicorn workers (-w), "
        "Celery prefork children (--concurrency)",
    )
    size: PoolSize = Field(default=5, description="pool_size: DATABASE_POOL_SIZE")
    max_overflow: PoolOverflow = Field(default=0, description="max_overflow: DATABASE_MAX_OVERFLOW")

    @property
    def per_pod(self) -> int:
        return self.processes * (self.size + self.max_overflow)


# The production pools, matched to the production workloads' arguments (gunicorn `-w 2`,
# Celery `--concurrency=4`; the gate refuses a pool whose processes disagree with them).
# A Celery child runs one task at a time: one connection, and one spare for a nested session.
# beat holds a pool only if it is given `connectsTo: [postgres]` (a database scheduler).
DEFAULT_POOLS: dict[str, dict[str, int]] = {
    "api": {"processes": 2, "size": 5, "maxOverflow": 2},
    "worker": {"processes": 4, "size": 1, "maxOverflow": 1},
    "beat": {"processes": 1, "size": 1, "maxOverflow": 1},
}


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
    pools: dict[Dns1035Label, PoolSpec] = Field(
        # The production pools: what the merge below starts from, shown as the default.
        default_factory=lambda: {name: PoolSpec.model_validate(pool) for name, pool in DEFAULT_POOLS.items()},
        description="each client workload's SQLAlchemy pool (its DATABASE_POOL_SIZE and "
        "DATABASE_MAX_OVERFLOW); merged over the production pools, and a client without an entry "
        "gets PoolSpec's defaults",
        # One pool for a workload the production pools lack.
        examples=[{"notifier": {"processes": 2, "size": 3, "maxOverflow": 1}}],
    )

    @model_validator(mode="before")
    @classmethod
    def _production_pools(cls, data: Any) -> Any:
        """Stack config merges into the production pools entry by entry, as it merges into
        the production workloads, instead of replacing them all."""
        if not isinstance(data, dict) or not isinstance(data.get("pools", {}), dict):
            return data
        given = data.get("pools", {})
        merged: dict[str, Any] = {name: dict(pool) for name, pool in DEFAULT_POOLS.items()}
        for name, pool in given.items():
            default = merged.get(name)
            merged[name] = {**default, **pool} if isinstance(pool, dict) and default else pool
        return {**data, "pools": merged}

    def pool(self, workload: str) -> PoolSpec:
        return self.pools.get(workload, PoolSpec())


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
    if not isinstance(workloads, dict) or not isinstance(workloads.get(PRIMARY), dict):
        return data
    primary = workloads[PRIMARY]
    replica = {
        key: value
        for key, value in primary.items()
        if key not in ("aliases", "autoscaling", "singleton", "disruptionBudget", "connectsTo")
    }
    replica.update(
        {"enabled": bool(primary.get("enabled", True)), "replicas": replicas, "connectsTo": [PRIMARY]}
    )
    return {**data, "workloads": {**workloads, REPLICA: replica}}


def tuning_keys() -> tuple[str, ...]:
    return tuple(PostgresTuning.model_fields)


class Settings(StrictModel):
    """The estate's `postgres` key (EstateConfig inherits it through datastores/settings.py)."""

    postgres: PostgresSettings = Field(
        default=PostgresSettings(),
        description="the PostgreSQL server: its `-c` flags, the application's database and role, "
        "the `postgres-ro` read replicas and each client's SQLAlchemy pool",
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_workloads(cls, data: Any) -> Any:
        return with_read_replicas(data)


class ExporterToggle(StrictModel):
    postgres: bool = Field(
        default=True,
        description="deploys the `postgres-exporter` workload (port 9187, logs in as the "
        "`postgres_exporter` role) and its scrape job while `postgres` is enabled; the "
        "PostgreSQL alerts read its metrics",
    )


class ExporterImage(StrictModel):
    postgres_exporter: PinnedImage = Field(
        default="quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
        description="the container image of the `postgres-exporter` workload",
    )


# --- secrets and exporter --------------------------------------------------------------------

# Each role has a password of its own, so one leaked credential opens one door.
SECRET_KEYS = (
    "postgresAdminPassword",
    "postgresPassword",
    "postgresExporterPassword",
    "postgresReplicationPassword",
)


EXPORTER = Exporter(
    toggle="postgres",
    workload="postgres-exporter",
    port_name="metrics",
    port=9187,
    subject=PRIMARY,
    secret_env={"DATA_SOURCE_PASS": "postgresExporterPassword"},
)

FACTS = Facts(
    name="postgres",
    image=IMAGE,
    pinned_image="docker.io/library/postgres:16.4-bookworm",
    roles={PRIMARY: "database", REPLICA: "read replica"},
    secret_keys=SECRET_KEYS,
    exporters=(EXPORTER,),
    # The replicas' `connectsTo: [postgres]` is the WAL stream, not application credentials.
    replication_roles=frozenset({REPLICA}),
    # PostgreSQL's parallel queries use POSIX shared memory and fail on Docker's 64 MiB default.
    docker_shm_mb={PRIMARY: 256},
)
