"""The files PostgreSQL's server reads, and where: pg_hba.conf, its command line, the start
script (which applies the roles script, sql.py, to an existing data directory), the read
replicas' script and password file, and the official image's environment."""

from __future__ import annotations

from typing import TypeVar

from components.values.secret_text import pgpass_escape

from .settings import PG_ADMIN_ROLE, PG_REPLICATION_ROLE, PostgresTuning, tuning_keys

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
