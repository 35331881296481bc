"""PostgreSQL's connection budget: the pools its clients open (`postgres.pools`) checked
against their workloads' process counts, and every connection the estate may hold at full
scale against `postgres.maxConnections` (the gate's datastore checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .monitoring import exporter_deployed
from .settings import PG_EXPORTER_CONNECTIONS, PRIMARY, REPLICA, replication_connections

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.workloads import WorkloadSpec

# What a client reads its pool from (set from `postgres.pools`, never by hand).
POOL_ENV = ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW")

# The flags that set how many processes a pod's server starts, each opening its own pool.
_PROCESS_FLAGS = {"gunicorn": ("-w", "--workers"), "celery": ("-c", "--concurrency")}


def _processes_in_args(spec: WorkloadSpec) -> tuple[str, int | None] | None:
    """(flag as written, its number) when the workload's arguments set its process count;
    (server, None) for a Celery worker that leaves it to Celery (one per CPU of the node)."""
    server = (spec.command or [""])[0].rsplit("/", 1)[-1]
    flags = _PROCESS_FLAGS.get(server)
    if flags is None:
        return None
    args = spec.args or []
    for index, arg in enumerate(args):
        for flag in flags:
            value = None
            if arg == flag and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith(flag + "="):
                value = arg.split("=", 1)[1]
            elif len(flag) == 2 and arg.startswith(flag) and arg[2:].isdigit():
                value = arg[2:]
            if value is not None and value.isdigit():
                return (arg if value in arg else f"{arg} {value}"), int(value)
    return (server, None) if server == "celery" and "worker" in args else None


def clients(config: EstateConfig, role: str) -> dict[str, WorkloadSpec]:
    """The enabled workloads that open pools on `role` (a replica's WAL stream is not one)."""
    return {
        name: spec
        for name, spec in config.enabled_workloads.items()
        if role in spec.connects_to and name not in (PRIMARY, REPLICA)
    }


def pool_problems(config: EstateConfig) -> list[tuple[str, str]]:
    found = []
    for name in config.postgres.pools:
        if name not in config.workloads:
            found.append((f"postgres.pools.{name}", f"names no workload (known: {sorted(config.workloads)})"))
        elif name in (PRIMARY, REPLICA):
            found.append((f"postgres.pools.{name}", "is the database itself, not a client of it"))
    for name, spec in {**clients(config, PRIMARY), **clients(config, REPLICA)}.items():
        for var in POOL_ENV:
            if var in spec.env:
                found.append(
                    (
                        f"workloads.{name}.env.{var}",
                        f"is set by the estate from postgres.pools.{name} (the connection budget counts "
                        "that value); set it there",
                    )
                )
        processes = _processes_in_args(spec)
        pool = config.postgres.pool(name)
        if processes is None:
            continue
        written, number = processes
        if number is None:
            found.append(
                (
                    f"workloads.{name}.args",
                    "run a Celery worker without --concurrency, which then starts one process (and "
                    "one pool) per CPU of its node, a number the connection budget cannot know; set "
                    f"--concurrency=N and postgres.pools.{name}.processes: N",
                )
            )
        elif number != pool.processes:
            found.append(
                (
                    f"postgres.pools.{name}.processes",
                    f"got {pool.processes}: workloads.{name}.args start {number} processes per pod "
                    f"({written}), each with its own pool; set it to {number}",
                )
            )
    return found


@dataclass(frozen=True)
class Share:
    """Connections one part of the estate may hold on a server, and the keys behind them."""

    count: int
    why: str


def _pods(config: EstateConfig, name: str, spec: WorkloadSpec) -> tuple[int, str]:
    if config.target == "docker-host":
        # One container; a rolling replacement starts the new one before stopping the old.
        if spec.singleton:
            return 1, "1 container"
        return 2, "2 containers (one and its rolling replacement)"
    scale = (
        f"workloads.{name}.autoscaling.maxReplicas {spec.max_replicas}"
        if spec.autoscaling
        else f"workloads.{name}.replicas {spec.max_replicas}"
    )
    surge = f" + {spec.rollout_surge} rollout surge" if spec.rollout_surge else ""
    return spec.max_pods, f"{spec.max_pods} pods ({scale}{surge})"


def connection_shares(config: EstateConfig, role: str) -> list[Share]:
    """Everything that may hold a connection on one server of `role` at the same time, at
    full scale. On a read replica: all read pools, as if on the one replica left serving."""
    pg = config.postgres
    shares = [Share(pg.superuser_reserved_connections, "postgres.superuserReservedConnections")]
    if role == PRIMARY and exporter_deployed(config):
        shares.append(
            Share(PG_EXPORTER_CONNECTIONS, "the exporter's connection limit (monitoring.exporters.postgres)")
        )
    for name, spec in clients(config, role).items():
        pool = pg.pool(name)
        pods, scale = _pods(config, name, spec)
        shares.append(
            Share(
                pods * pool.per_pod,
                f"{name}: {scale} x {pool.processes} processes x "
                f"({pool.size} + {pool.max_overflow}) (postgres.pools.{name}.processes, .size, .maxOverflow)",
            )
        )
    return shares


def budget_problems(config: EstateConfig) -> list[tuple[str, str]]:
    pg = config.postgres
    found = []
    if pg.superuser_reserved_connections >= pg.max_connections:
        # Even with no client at all: PostgreSQL refuses to start.
        found.append(
            (
                "postgres.superuserReservedConnections",
                f"got {pg.superuser_reserved_connections}: must be less than postgres.maxConnections "
                f"({pg.max_connections}), or PostgreSQL does not start",
            )
        )
    for role in (PRIMARY, REPLICA):
        if role not in config.enabled_workloads:
            continue
        shares = connection_shares(config, role)
        need = sum(share.count for share in shares)
        if need > pg.max_connections:
            where = "the primary" if role == PRIMARY else "each read replica (postgres-ro)"
            parts = "; ".join(f"{share.count} for {share.why}" for share in shares)
            found.append(
                (
                    "postgres.maxConnections",
                    f"got {pg.max_connections}: {where} must hold {need} connections at full scale "
                    f"({parts}); raise postgres.maxConnections or shrink the pools or the replicas",
                )
            )
    if pg.read_replicas > 0 and replication_connections(pg.read_replicas) > pg.max_wal_senders:
        found.append(
            (
                "postgres.maxWalSenders",
                f"got {pg.max_wal_senders}: {pg.read_replicas} read replicas (postgres.readReplicas) "
                f"stream through up to {replication_connections(pg.read_replicas)} WAL senders (one "
                "each, two for a replica re-cloning itself); raise postgres.maxWalSenders",
            )
        )
    return found
