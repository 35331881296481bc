"""PostgreSQL and Redis files as their servers read them (shared by both targets).

Pure functions of the validated model. Every string that reaches redis.conf goes through
`redis_quote`; passwords never reach redis.conf at all (the ACL holds SHA-256 hashes), and
the PostgreSQL roles script reads each password from its own file through psql variables,
which psql quotes as literals.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

from components.config.datastores import (
    PG_ADMIN_ROLE,
    PG_EXPORTER_ROLE,
    PG_REPLICATION_ROLE,
    REDIS_APP_USER,
    REDIS_MONITOR_USER,
    PostgresSettings,
    PostgresTuning,
    RedisCacheSettings,
    RedisSettings,
    tuning_keys,
)

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


def _login_role(role: str, password_var: str, password_file: str, attributes: str) -> list[str]:
    """A role created if missing and set to exactly `attributes` and its file's password."""
    return [
        rf"\set {password_var} `cat {password_file}`",
        f"SELECT format('CREATE ROLE %I', '{role}')",
        rf"  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') \gexec",
        f"ALTER ROLE {role} WITH {attributes} PASSWORD :'{password_var}';",
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
        'ALTER ROLE :"app_user" WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE',
        "  NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD :'app_password';",
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
                "CONNECTION LIMIT 3",
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
            f"CONNECTION LIMIT {settings.read_replicas + 2}",
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
# /docker-entrypoint-initdb.d while the entrypoint initialises it).
POSTGRES_START_SH = f"""\
#!/usr/bin/env bash
set -Eeo pipefail
source "$(command -v docker-entrypoint.sh)"
docker_setup_env
if [ -n "$DATABASE_ALREADY_EXISTS" ]; then
  export PGPASSWORD="$POSTGRES_PASSWORD"
  docker_temp_server_start "$@"
  docker_process_sql -f {PG_ROLES_FILE}
  docker_temp_server_stop
  unset PGPASSWORD
fi
exec docker-entrypoint.sh "$@"
"""


# libpq's password file: a backslash or ':' inside a field is escaped with a backslash (backslash first).
PGPASS_ESCAPES = (("\\", "\\\\"), (":", "\\:"))


def pgpass_escape(password: str) -> str:
    for old, new in PGPASS_ESCAPES:
        password = password.replace(old, new)
    return password


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


def redis_quote(value: str) -> str:
    """A double-quoted redis.conf argument that Redis (sdssplitargs) reads back exactly:
    `\\` and `"` escaped, every byte outside printable ASCII as \\xHH."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in '\\"':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def _base_conf(data_dir: str, maxmemory: str, policy: str, include: str) -> list[str]:
    return [
        "bind 0.0.0.0 -::*",
        "port 6379",
        "protected-mode yes",
        f"dir {redis_quote(data_dir)}",
        f"maxmemory {maxmemory}",
        f"maxmemory-policy {policy}",
        # No user, whatever its ACL, may debug, load modules or change protected settings.
        "enable-debug-command no",
        "enable-module-command no",
        "enable-protected-configs no",
        # The ACL users (hashed passwords) live in a Secret-backed file, never in this ConfigMap.
        f"include {redis_quote(include)}",
    ]


def redis_conf(settings: RedisSettings, data_dir: str, auth_include: str) -> str:
    """The broker: never evicts (writes fail with OOM instead), keeps an append-only file."""
    lines = [
        *_base_conf(data_dir, settings.maxmemory, settings.maxmemory_policy, auth_include),
        f"appendonly {'yes' if settings.appendonly else 'no'}",
        f"appendfsync {settings.appendfsync}",
        *([f"save {rule}" for rule in settings.save] or ['save ""']),
    ]
    return "\n".join(lines) + "\n"


def redis_cache_conf(settings: RedisCacheSettings, data_dir: str, auth_include: str) -> str:
    """The cache: evicts by its policy and keeps nothing on disk."""
    lines = [
        *_base_conf(data_dir, settings.maxmemory, settings.maxmemory_policy, auth_include),
        "appendonly no",
        'save ""',
    ]
    return "\n".join(lines) + "\n"


# What Celery (kombu's Redis transport, the Redis result backend) and the API use: data
# commands, blocking pops, pub/sub, transactions. @dangerous and @admin (FLUSHALL, CONFIG,
# DEBUG, MODULE, KEYS, SHUTDOWN, ACL, ...) are removed after the categories are added.
REDIS_APP_CATEGORIES = (
    "+@connection +@read +@write +@keyspace +@string +@list +@hash +@set +@sortedset "
    "+@stream +@pubsub +@transaction +@blocking -@dangerous -@admin"
)
# What redis_exporter reads: INFO, the config it reports, client list, slowlog, latency.
REDIS_MONITOR_COMMANDS = (
    "+@connection +info +config|get +client|list +client|info +slowlog|get +slowlog|len "
    "+latency|latest +memory|stats +dbsize"
)


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def redis_users_parts(app_hash: T, monitor_hash: T | None) -> list[str | T]:
    """ACL users: `default` off, the application limited to its categories, the monitor read-only.
    Only SHA-256 hashes are written, so no password text can ever break the file."""
    parts: list[str | T] = [
        "user default off resetpass resetkeys resetchannels -@all\n",
        f"user {REDIS_APP_USER} on resetpass #",
        app_hash,
        f" resetkeys ~* resetchannels &* -@all {REDIS_APP_CATEGORIES}\n",
    ]
    if monitor_hash is not None:
        parts += [
            f"user {REDIS_MONITOR_USER} on resetpass #",
            monitor_hash,
            f" resetkeys resetchannels -@all {REDIS_MONITOR_COMMANDS}\n",
        ]
    return parts


def redis_users(app_password: str, monitor_password: str | None) -> str:
    monitor = sha256_hex(monitor_password) if monitor_password is not None else None
    return "".join(redis_users_parts(sha256_hex(app_password), monitor))
