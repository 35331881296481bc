"""PostgreSQL's behaviour: the secrets an estate needs, what a client gets (its URL and
pool), how each role is wired (its files and command line), what the gate refuses, and
its production workload. Shared by the Kubernetes and the docker-host targets.

The package: settings.py (the model's leaf: settings, roles, secret keys, exporter),
files.py (pg_hba.conf, scripts, command line), sql.py (the roles script),
connections.py (pools and the connection budget), monitoring.py (exporter and alerts),
and this module, which gathers them into `DATASTORE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.values.secret_text import SecretText, pgpass_escaped, secret, text, url_encoded

from ..base import ClientEnv, Datastore, Files, Wired, first_port
from .connections import POOL_ENV, budget_problems, pool_problems
from .files import (
    PG_ADMIN_PASSWORD_FILE,
    PG_APP_PASSWORD_FILE,
    PG_CREDENTIALS_DIR,
    PG_EXPORTER_PASSWORD_FILE,
    PG_HBA,
    PG_HBA_PATH,
    PG_INITDB_DIR,
    PG_PASSFILE,
    PG_REPLICA_SCRIPT,
    PG_REPLICATION_PASSWORD_FILE,
    PG_ROLES_FILE,
    PG_START_DIR,
    PG_START_SCRIPT,
    POSTGRES_START_SH,
    pgpass_parts,
    postgres_args,
    postgres_environment,
    postgres_replica_script,
)
from .monitoring import alert_rules, exporter_deployed, exporter_env
from .settings import EXPORTER, FACTS, IMAGE, PRIMARY, REPLICA
from .sql import postgres_roles_sql

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.workloads import WorkloadSpec


def required_secrets(config: EstateConfig) -> dict[str, str]:
    needed = {}
    enabled = config.enabled_workloads
    if PRIMARY in enabled:
        needed["postgresAdminPassword"] = (
            "the PostgreSQL administrator's password (initialisation and operators only)"
        )
        needed["postgresPassword"] = "the PostgreSQL application role's password"
        if REPLICA in enabled:
            needed["postgresReplicationPassword"] = (
                "the PostgreSQL replication role's password (the read replicas' WAL stream)"
            )
        if exporter_deployed(config):
            needed["postgresExporterPassword"] = "the PostgreSQL exporter role's password (pg_monitor)"
    return needed


# --- clients and roles ---------------------------------------------------------------------


# Every secret-derived value is a SecretText recipe: resolved from Pulumi secret config, or
# rendered by the External Secrets Operator's template engine in the cluster.
def connection_url(host: str, user: str, db: str, port: int) -> SecretText:
    return text(f"postgresql://{user}:", url_encoded("postgresPassword"), f"@{host}:{port}/{db}")


def add_client_env(role: str, client: str, config: EstateConfig, env: ClientEnv) -> None:
    pg = config.postgres
    if role == PRIMARY:
        env.secret["DATABASE_URL"] = connection_url(
            PRIMARY, pg.app_user, pg.database, first_port(config, PRIMARY)
        )
    else:
        # Reads that may lag the primary by a moment: the replicas' Service.
        env.secret["DATABASE_READ_URL"] = connection_url(
            REPLICA, pg.app_user, pg.database, first_port(config, REPLICA)
        )
    # The pool each process of `client` opens per engine (not secret: plain environment).
    pool = pg.pool(client)
    env.plain.update(zip(POOL_ENV, (str(pool.size), str(pool.max_overflow)), strict=True))


def _file(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _primary(config: EstateConfig, spec: WorkloadSpec) -> Wired:
    exporter = exporter_deployed(config)
    credentials: dict[str, str | SecretText] = {
        _file(PG_ADMIN_PASSWORD_FILE): secret("postgresAdminPassword"),
        _file(PG_APP_PASSWORD_FILE): secret("postgresPassword"),
    }
    if exporter:
        credentials[_file(PG_EXPORTER_PASSWORD_FILE)] = secret("postgresExporterPassword")
    if config.postgres.read_replicas > 0:
        credentials[_file(PG_REPLICATION_PASSWORD_FILE)] = secret("postgresReplicationPassword")
    files = [
        Files("hba", PG_HBA_PATH.rsplit("/", 1)[0], {"pg_hba.conf": PG_HBA}),
        Files("credentials", PG_CREDENTIALS_DIR, credentials, secret=True),
        Files("initdb", PG_INITDB_DIR, {_file(PG_ROLES_FILE): postgres_roles_sql(config.postgres, exporter)}),
        Files("start", PG_START_DIR, {_file(PG_START_SCRIPT): POSTGRES_START_SH}),
    ]
    spec = spec.model_copy(
        update={
            "command": ["bash", PG_START_SCRIPT],
            "args": postgres_args(config.postgres, PG_HBA_PATH),
            "env": {**spec.env, **postgres_environment()},
        }
    )
    return Wired(spec, files)


def _replica(config: EstateConfig, spec: WorkloadSpec) -> Wired:
    port = first_port(config, PRIMARY)
    files = [
        Files("hba", PG_HBA_PATH.rsplit("/", 1)[0], {"pg_hba.conf": PG_HBA}),
        Files(
            "credentials",
            PG_CREDENTIALS_DIR,
            {
                _file(PG_PASSFILE): text(
                    *pgpass_parts(PRIMARY, port, pgpass_escaped("postgresReplicationPassword"))
                )
            },
            secret=True,
        ),
        Files("replica", PG_START_DIR, {_file(PG_REPLICA_SCRIPT): postgres_replica_script(PRIMARY, port)}),
    ]
    # The same settings as the primary (a standby needs at least its max_connections).
    spec = spec.model_copy(
        update={
            "command": ["bash", PG_REPLICA_SCRIPT],
            "args": postgres_args(config.postgres, PG_HBA_PATH)[1:],
        }
    )
    return Wired(spec, files)


def wire(role: str, config: EstateConfig, spec: WorkloadSpec) -> Wired:
    return _primary(config, spec) if role == PRIMARY else _replica(config, spec)


# The official image's variables the estate sets from `postgres.*` (the administrator and
# its password file): a workload env entry would contradict them.
MANAGED_ENV = ("POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE")


def problems(config: EstateConfig) -> list[tuple[str, str]]:
    primary = config.enabled_workloads.get(PRIMARY)
    if primary is None:
        return []
    found = [
        (
            f"workloads.{PRIMARY}.env.{var}",
            "is set by the estate from postgres.database, postgres.appUser and the "
            "postgresAdminPassword secret; remove it",
        )
        for var in MANAGED_ENV
        if var in primary.env
    ]
    return found + pool_problems(config) + budget_problems(config)


# --- the production workload ---------------------------------------------------------------

DEFAULT_WORKLOADS: dict[str, dict[str, Any]] = {
    PRIMARY: {
        "component": "database",
        "image": IMAGE,
        "kind": "StatefulSet",
        "replicas": 1,
        "ports": {"postgres": 5432},
        # Roles and the application's database: `postgres.appUser` / `postgres.database`.
        "env": {"PGDATA": "/var/lib/postgresql/data/pgdata"},
        "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        "probes": {
            "startup": {
                "exec": ["pg_isready", "-h", "127.0.0.1", "-U", "shiksha", "-d", "shiksha"],
                "periodSeconds": 5,
                "failureThreshold": 60,
            },
            "readiness": {
                "exec": ["pg_isready", "-h", "127.0.0.1", "-U", "shiksha", "-d", "shiksha"],
                "periodSeconds": 10,
            },
            "liveness": {"tcp": True, "port": "postgres", "periodSeconds": 20, "failureThreshold": 6},
        },
        # The official image's postgres user.
        "security": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
        "writablePaths": ["/tmp", "/var/run/postgresql"],
        "storage": {"size": "50Gi", "mountPath": "/var/lib/postgresql/data"},
        "terminationGracePeriodSeconds": 120,
    },
}

DATASTORE = Datastore(
    facts=FACTS,
    default_workloads=DEFAULT_WORKLOADS,
    required_secrets=required_secrets,
    add_client_env=add_client_env,
    wire=wire,
    alert_rules=alert_rules,
    problems=problems,
    exporter_env={EXPORTER.workload: exporter_env},
)
