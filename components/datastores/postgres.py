"""PostgreSQL: everything the estate knows of it, in one module.

Its settings (`postgres.*`), its roles (the `postgres` primary and the `postgres-ro` read
replicas), its secrets, the URL a client gets, the files its server reads (pg_hba.conf,
the roles script, the start and replica scripts), its exporter, its alerts and its
production workload. Every settings value ends up on postgres's command line, so each is
checked whole-string with ASCII digits only: a newline or a `#` can never reach a file.
The roles script reads each password from its own file through psql variables, which psql
quotes as literals. Shared by the Kubernetes and the docker-host targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, StrictInt, model_validator

from components.config.alerts import AlertRule
from components.config.base import StrictModel
from components.config.images import PinnedImage
from components.config.types import Dns1035Label
from components.config.workloads import WorkloadSpec
from components.secret_text import SecretText, pgpass_escape, pgpass_escaped, secret, text, url_encoded

from .base import Datastore, Exporter, Files, Wired, first_port

if TYPE_CHECKING:
    from components.config.alerts import AlertThresholds
    from components.config.estate import EstateConfig

# Workload names of its roles; a workload reaches one by naming it in `connectsTo`.
PRIMARY = "postgres"
REPLICA = "postgres-ro"  # streaming read replicas, present while postgres.readReplicas > 0
IMAGE = "postgres"

# PostgreSQL roles other than the application's (whose name is `postgres.appUser`).
PG_ADMIN_ROLE = "postgres"  # the image's superuser: initialisation and operators only
PG_EXPORTER_ROLE = "postgres_exporter"  # pg_monitor, nothing else
PG_REPLICATION_ROLE = "replicator"  # REPLICATION, for the read replicas' WAL stream only

# How far (WAL bytes) a read replica may trail the primary before it is an alert.
REPLICA_LAG_BYTES = 256 * 2**20

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

    shared_buffers: PgSize = "1GB"
    effective_cache_size: PgSize = "3GB"
    work_mem: PgSize = "16MB"
    maintenance_work_mem: PgSize = "256MB"
    wal_buffers: PgSize = "16MB"
    max_connections: int = Field(default=200, ge=1, le=262143)
    # PostgreSQL's defaults, set explicitly because the gate's connection budget reads them:
    # slots only a superuser may take (the administrator's way in when the pools are full),
    # and WAL senders (the read replicas' streams, outside max_connections since PG 12).
    superuser_reserved_connections: int = Field(default=3, ge=0, le=262143)
    max_wal_senders: int = Field(default=10, ge=0, le=262143)
    checkpoint_completion_target: float = Field(default=0.9, gt=0, le=1, allow_inf_nan=False)
    random_page_cost: float = Field(default=1.1, gt=0, le=1_000_000, allow_inf_nan=False)
    effective_io_concurrency: int = Field(default=200, ge=0, le=1000)
    max_wal_size: PgSize = "2GB"
    min_wal_size: PgSize = "512MB"


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
        default_factory=dict,
        description="each client workload's pool; one without an entry gets PoolSpec's defaults",
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
    """The estate's `postgres` key (EstateConfig inherits it through the registry)."""

    postgres: PostgresSettings = PostgresSettings()

    @model_validator(mode="before")
    @classmethod
    def _derived_workloads(cls, data: Any) -> Any:
        return with_read_replicas(data)


class ExporterToggle(StrictModel):
    postgres: bool = True


class ExporterImage(StrictModel):
    postgres_exporter: PinnedImage = "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"


# --- files ---------------------------------------------------------------------------------

# A piece of a secret-derived file: the text itself, or a recipe's reference to a secret.
T = TypeVar("T")

# SCRAM-SHA-256 only: md5 and trust are never accepted, locally or over the network.
# Only the replication role may open a WAL stream (it can log in only while replicas exist).
PG_HBA = f"""\
# TYPE  DATABASE     USER        ADDRESS    METHOD
local   all          all                    scram-sha-256
host    all          all         0.0.0.0/0  scram-sha-256
host    all          all         ::/0       scram-sha-256
host    replication  {PG_REPLICATION_ROLE}  0.0.0.0/0  scram-sha-256
host    replication  {PG_REPLICATION_ROLE}  ::/0       scram-sha-256
"""

POSTGRES_INITDB_ARGS = "--auth-host=scram-sha-256 --auth-local=scram-sha-256"

# Where the postgres container finds its files (Secret / ConfigMap mounts, or docker-host tmpfs).
PG_HBA_PATH = "/etc/postgresql/hba/pg_hba.conf"
PG_CREDENTIALS_DIR = "/etc/postgresql/credentials"
PG_START_DIR = "/etc/postgresql/start"
PG_START_SCRIPT = f"{PG_START_DIR}/start.sh"
PG_ADMIN_PASSWORD_FILE = f"{PG_CREDENTIALS_DIR}/admin-password"
PG_APP_PASSWORD_FILE = f"{PG_CREDENTIALS_DIR}/app-password"
PG_EXPORTER_PASSWORD_FILE = f"{PG_CREDENTIALS_DIR}/exporter-password"
PG_REPLICATION_PASSWORD_FILE = f"{PG_CREDENTIALS_DIR}/replication-password"
# The replicas' libpq password file (libpq ignores one the group can read: copied to 0600).
PG_PASSFILE = f"{PG_CREDENTIALS_DIR}/pgpass"
PG_REPLICA_SCRIPT = f"{PG_START_DIR}/replica.sh"
# The official image runs these on a fresh volume; the start script runs them on every other start.
PG_INITDB_DIR = "/docker-entrypoint-initdb.d"
PG_ROLES_FILE = f"{PG_INITDB_DIR}/roles.sql"


def postgres_settings(tuning: PostgresTuning) -> dict[str, str]:
    settings = {key: str(getattr(tuning, key)) for key in tuning_keys()}
    settings["password_encryption"] = "scram-sha-256"  # noqa: S105 (the hashing method)
    return settings


def postgres_args(tuning: PostgresTuning, hba_file: str) -> list[str]:
    args = ["postgres"]
    for key, value in postgres_settings(tuning).items():
        args += ["-c", f"{key}={value}"]
    return [*args, "-c", f"hba_file={hba_file}"]


# A password reaches ALTER ROLE through format's %L (a literal the server quotes), as names go
# through %I: no line of a script reads `PASSWORD :'...'`, the shape of a `password: value`
# setting that secret scanners flag in a ConfigMap (trivy's KSV-0109, docs/ci-cd.md).
def _set_password(role: str, attributes: str, password_var: str) -> str:
    return rf"SELECT format('ALTER ROLE %I WITH {attributes} PASSWORD %L', {role}, :'{password_var}') \gexec"


def _login_role(role: str, password_var: str, password_file: str, attributes: str) -> list[str]:
    """A role created if missing and set to exactly `attributes` and its file's password."""
    return [
        rf"\set {password_var} `cat {password_file}`",
        f"SELECT format('CREATE ROLE %I', '{role}')",
        rf"  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') \gexec",
        _set_password(f"'{role}'", attributes, password_var),
    ]


def _no_login(role: str) -> list[str]:
    """A role an earlier estate made but this one does not use: it can no longer log in."""
    return [
        f"SELECT format('ALTER ROLE %I NOLOGIN PASSWORD NULL', '{role}')",
        rf"  WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') \gexec",
    ]


def postgres_roles_sql(settings: PostgresSettings, exporter: bool) -> str:
    """Idempotent: run as the administrator on every start, it leaves a fresh volume and an
    old one in the same state. Names are validated identifiers, passwords come from files."""
    lines = [
        "-- The estate's PostgreSQL roles. Safe to run any number of times.",
        r"\set ON_ERROR_STOP on",
        rf"\set app_user '{settings.app_user}'",
        rf"\set database '{settings.database}'",
        rf"\set app_password `cat {PG_APP_PASSWORD_FILE}`",
        "SELECT format('CREATE ROLE %I', :'app_user')",
        r"  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec",
        # Owns its database and nothing else: no superuser, roles, databases or replication.
        _set_password(
            ":'app_user'",
            "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1",
            "app_password",
        ),
        # Memberships granted by hand (pg_read_server_files, pg_execute_server_program...) go.
        "SELECT format('REVOKE %I FROM %I', r.rolname, :'app_user') FROM pg_auth_members m",
        "  JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member",
        r"  WHERE u.rolname = :'app_user' \gexec",
        "SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'app_user')",
        r"  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec",
        'ALTER DATABASE :"database" OWNER TO :"app_user";',
        # Nobody reaches a database they were not given: PUBLIC loses CONNECT everywhere.
        'REVOKE ALL ON DATABASE :"database" FROM PUBLIC;',
        "REVOKE ALL ON DATABASE postgres FROM PUBLIC;",
        "REVOKE ALL ON DATABASE template1 FROM PUBLIC;",
    ]
    if exporter:
        lines += [
            *_login_role(
                PG_EXPORTER_ROLE,
                "exporter_password",
                PG_EXPORTER_PASSWORD_FILE,
                "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                f"CONNECTION LIMIT {PG_EXPORTER_CONNECTIONS}",
            ),
            "SELECT format('REVOKE %I FROM %I', r.rolname, u.rolname) FROM pg_auth_members m",
            "  JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member",
            rf"  WHERE u.rolname = '{PG_EXPORTER_ROLE}' AND r.rolname <> 'pg_monitor' \gexec",
            f"GRANT pg_monitor TO {PG_EXPORTER_ROLE};",
            f'GRANT CONNECT ON DATABASE :"database" TO {PG_EXPORTER_ROLE};',
        ]
    else:
        lines += _no_login(PG_EXPORTER_ROLE)
    if settings.read_replicas > 0:
        # The WAL stream and nothing else: no database is readable through this role.
        lines += _login_role(
            PG_REPLICATION_ROLE,
            "replication_password",
            PG_REPLICATION_PASSWORD_FILE,
            "LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT "
            f"CONNECTION LIMIT {replication_connections(settings.read_replicas)}",
        )
    else:
        lines += _no_login(PG_REPLICATION_ROLE)
    lines += [
        # Inside the application's database: its schema belongs to the application alone.
        r"\connect :database",
        'ALTER SCHEMA public OWNER TO :"app_user";',
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
    ]
    return "\n".join(lines) + "\n"


# Runs the official entrypoint, first applying the roles to an existing data directory on a
# temporary server that listens on the Unix socket only (a fresh one gets them from
# /docker-entrypoint-initdb.d while the entrypoint initialises it). PGPASSWORD is set from a
# braced `${...}` reference, which secret scanners read as one (as the entrypoint itself writes it).
POSTGRES_START_SH = f"""\
#!/usr/bin/env bash
set -Eeo pipefail
source "$(command -v docker-entrypoint.sh)"
docker_setup_env
if [ -n "$DATABASE_ALREADY_EXISTS" ]; then
  export PGPASSWORD="${{POSTGRES_PASSWORD}}"
  docker_temp_server_start "$@"
  docker_process_sql -f {PG_ROLES_FILE}
  docker_temp_server_stop
  unset PGPASSWORD
fi
exec docker-entrypoint.sh "$@"
"""


def pgpass_parts(host: str, port: int, escaped_password: T) -> list[str | T]:
    """A libpq password file entry for the replication role around its escaped password."""
    return [f"{host}:{port}:replication:{PG_REPLICATION_ROLE}:", escaped_password, "\n"]


def pgpass_line(host: str, port: int, password: str) -> str:
    return "".join(pgpass_parts(host, port, pgpass_escape(password)))


def postgres_replica_script(primary: str, port: int) -> str:
    """A read replica: cloned from the primary on its first start, then a hot standby that
    follows the primary's WAL stream; the password only ever in a 0600 passfile."""
    conninfo = (
        f"host={primary} port={port} user={PG_REPLICATION_ROLE} passfile=/tmp/pgpass "
        "application_name=$(hostname)"
    )
    return f"""\
#!/usr/bin/env bash
set -Eeo pipefail
install -m 0600 {PG_PASSFILE} /tmp/pgpass
export PGPASSFILE=/tmp/pgpass
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pg_basebackup --host={primary} --port={port} --username={PG_REPLICATION_ROLE} --no-password \\
    --pgdata="$PGDATA" --wal-method=stream --checkpoint=fast
fi
touch "$PGDATA/standby.signal"
exec postgres "$@" -c "primary_conninfo={conninfo}" -c hot_standby=on
"""


def postgres_environment() -> dict[str, str]:
    """What the official image reads: the administrator and where its password is."""
    return {
        "POSTGRES_USER": PG_ADMIN_ROLE,
        "POSTGRES_DB": PG_ADMIN_ROLE,
        "POSTGRES_PASSWORD_FILE": PG_ADMIN_PASSWORD_FILE,
        "POSTGRES_INITDB_ARGS": POSTGRES_INITDB_ARGS,
    }


# --- secrets -------------------------------------------------------------------------------

# Each role has a password of its own, so one leaked credential opens one door.
SECRET_KEYS = (
    "postgresAdminPassword",
    "postgresPassword",
    "postgresExporterPassword",
    "postgresReplicationPassword",
)


def exporter_deployed(config: EstateConfig) -> bool:
    """The PostgreSQL exporter runs (and needs its role) only with the Kubernetes monitoring."""
    return (
        config.target == "kubernetes"
        and config.monitoring.enabled
        and config.monitoring.exporters.postgres
        and PRIMARY in config.enabled_workloads
    )


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


def add_client_env(role: str, config: EstateConfig, env: dict[str, SecretText]) -> None:
    pg = config.postgres
    if role == PRIMARY:
        env["DATABASE_URL"] = connection_url(PRIMARY, pg.app_user, pg.database, first_port(config, PRIMARY))
    else:
        # Reads that may lag the primary by a moment: the replicas' Service.
        env["DATABASE_READ_URL"] = connection_url(
            REPLICA, pg.app_user, pg.database, first_port(config, REPLICA)
        )


# What a client reads its pool from (set from `postgres.pools`, never by hand).
POOL_ENV = ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW")


def client_settings(client: str, role: str, config: EstateConfig) -> dict[str, str]:
    """The pool each process of `client` opens per engine (not secret: plain environment)."""
    pool = config.postgres.pool(client)
    return dict(zip(POOL_ENV, (str(pool.size), str(pool.max_overflow)), strict=True))


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


# --- connections ---------------------------------------------------------------------------

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


# --- exporter and alerts -------------------------------------------------------------------


def _exporter_env(config: EstateConfig) -> dict[str, str]:
    port, database = first_port(config, PRIMARY), config.postgres.database
    return {
        # In-cluster traffic; the server's pg_hba requires SCRAM, not TLS.
        "DATA_SOURCE_URI": f"{PRIMARY}:{port}/{database}?sslmode=disable",
        # pg_monitor and CONNECT on the application's database, nothing else.
        "DATA_SOURCE_USER": PG_EXPORTER_ROLE,
    }


EXPORTER = Exporter(
    toggle="postgres",
    workload="postgres-exporter",
    port_name="metrics",
    port=9187,
    subject=PRIMARY,
    env=_exporter_env,
    secret_env={"DATA_SOURCE_PASS": "postgresExporterPassword"},
)


def alert_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    # Imported here: the monitoring model imports the registry, which imports this module.

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
    name="postgres",
    image=IMAGE,
    pinned_image="docker.io/library/postgres:16.4-bookworm",
    roles={PRIMARY: "database", REPLICA: "read replica"},
    default_workloads=DEFAULT_WORKLOADS,
    secret_keys=SECRET_KEYS,
    required_secrets=required_secrets,
    add_client_env=add_client_env,
    client_settings=client_settings,
    wire=wire,
    alert_rules=alert_rules,
    problems=problems,
    exporters=(EXPORTER,),
    # The replicas' `connectsTo: [postgres]` is the WAL stream, not application credentials.
    replication_roles=frozenset({REPLICA}),
    # PostgreSQL's parallel queries use POSIX shared memory and fail on Docker's 64 MiB default.
    docker_shm_mb={PRIMARY: 256},
)
