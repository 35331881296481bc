"""The rendered PostgreSQL estate, loaded into a real PostgreSQL 15: settings in force,
SCRAM only, each role able to do what it is for and nothing else, roles idempotent."""

from __future__ import annotations

import subprocess

import pytest

from components.config.loader import parse_estate
from components.datastores.postgres.files import PG_START_SCRIPT, postgres_settings
from components.datastores.postgres.settings import PG_ADMIN_ROLE, PG_EXPORTER_ROLE

from .conftest import SECRETS
from .rendered import Rendered
from .servers import Postgres

pytestmark = pytest.mark.slow

CONFIG = parse_estate({})
APP, DB = CONFIG.postgres.app_user, CONFIG.postgres.database
APP_PW = SECRETS["postgresPassword"]
EXPORTER_PW = SECRETS["postgresExporterPassword"]
ADMIN_PW = SECRETS["postgresAdminPassword"]


def app(pg: Postgres, query: str, database: str = DB, check: bool = True) -> str:
    result = pg.sql(query, APP, APP_PW, database, check=check)
    return result.stdout.strip() if result.returncode == 0 else "ERROR: " + result.stderr


def refused(pg: Postgres, query: str, user: str, password: str, database: str = DB) -> str:
    result = pg.sql(query, user, password, database, check=False)
    assert result.returncode != 0, f"{user} was allowed: {query}"
    return result.stderr


def test_every_tuning_setting_is_in_force(pg: Postgres) -> None:
    for key, value in postgres_settings(CONFIG.postgres).items():
        row = pg.sql(
            f"SELECT current_setting('{key}'), source FROM pg_settings WHERE name = '{key}'",  # noqa: S608 (the model's validated names)
            PG_ADMIN_ROLE,
            ADMIN_PW,
            "postgres",
        ).stdout.strip()
        assert row == f"{value}|command line", key


def test_only_scram_is_accepted(pg: Postgres) -> None:
    rules = pg.sql(
        "SELECT DISTINCT auth_method, coalesce(error, '') FROM pg_hba_file_rules",
        PG_ADMIN_ROLE,
        ADMIN_PW,
        "postgres",
    ).stdout.split()
    assert rules == ["scram-sha-256|"]
    hashes = pg.sql(
        "SELECT rolname || ' ' || left(rolpassword, 14) FROM pg_authid WHERE rolpassword IS NOT NULL",
        PG_ADMIN_ROLE,
        ADMIN_PW,
        "postgres",
    ).stdout.splitlines()
    assert hashes and all(h.endswith("SCRAM-SHA-256$") for h in hashes), hashes
    # A role whose password was stored as md5 cannot log in at all.
    pg.sql(
        "SET password_encryption = 'md5'; DROP ROLE IF EXISTS legacy; "
        "CREATE ROLE legacy LOGIN PASSWORD 'legacy-pw'",
        PG_ADMIN_ROLE,
        ADMIN_PW,
        "postgres",
    )
    assert "password authentication failed" in refused(pg, "SELECT 1", "legacy", "legacy-pw", "postgres")
    assert "password authentication failed" in refused(pg, "SELECT 1", APP, "wrong")


def test_application_role_owns_its_database_and_nothing_else(pg: Postgres) -> None:
    attributes = app(
        pg,
        f"SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "  # noqa: S608 (the model's validated names)
        f"FROM pg_roles WHERE rolname = '{APP}'",
    )
    assert attributes == "f|f|f|f|f"
    assert app(pg, f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{DB}'") == APP  # noqa: S608 (the model's validated names)
    app(
        pg,
        "CREATE TABLE IF NOT EXISTS lessons (id int primary key, title text); "
        "INSERT INTO lessons VALUES (1, 'fractions') ON CONFLICT DO NOTHING",
    )
    assert app(pg, "SELECT title FROM lessons") == "fractions"
    assert (
        app(
            pg,
            "SELECT string_agg(b.rolname, ',') FROM pg_auth_members m JOIN pg_roles b "  # noqa: S608 (the model's validated names)
            f"ON b.oid = m.roleid WHERE m.member = '{APP}'::regrole",
        )
        == ""
    )


@pytest.mark.parametrize(
    ("query", "database", "error"),
    [
        ("CREATE ROLE intruder LOGIN", None, "permission denied"),
        ("CREATE DATABASE other", None, "permission denied"),
        ("COPY (SELECT 1) TO PROGRAM 'id'", None, "pg_execute_server_program"),
        ("CREATE TEMP TABLE t(x text); COPY t FROM PROGRAM 'id'", None, "pg_execute_server_program"),
        ("SELECT pg_read_file('/etc/passwd')", None, "permission denied"),
        ("ALTER SYSTEM SET log_statement = 'none'", None, "permission denied"),
        ("ALTER ROLE CURRENT_USER SUPERUSER", None, "must be superuser"),
        ("SELECT 1", "postgres", "permission denied for database"),
        ("SELECT 1", "template1", "permission denied for database"),
    ],
)
def test_application_role_cannot(pg: Postgres, query: str, database: str | None, error: str) -> None:
    assert error in refused(pg, query, APP, APP_PW, database or DB)


def test_exporter_sees_statistics_and_nothing_else(pg: Postgres, target: str) -> None:
    if target == "docker-host":
        # No exporter runs on docker-host: its role exists for neither login nor anything else.
        failed = refused(pg, "SELECT 1", PG_EXPORTER_ROLE, EXPORTER_PW)
        assert "password authentication failed" in failed
        return
    app(pg, "CREATE TABLE IF NOT EXISTS grades (student text, grade int)")
    seen = pg.sql(
        "SELECT count(*) > 0 FROM pg_stat_activity WHERE query IS NOT NULL; "
        "SELECT count(*) FROM pg_stat_database WHERE datname = current_database(); "
        "SELECT pg_database_size(current_database()) > 0",
        PG_EXPORTER_ROLE,
        EXPORTER_PW,
        DB,
    ).stdout.split()
    assert seen == ["t", "1", "t"]
    attributes = pg.sql(
        f"SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = '{PG_EXPORTER_ROLE}'",  # noqa: S608 (the model's validated names)
        PG_EXPORTER_ROLE,
        EXPORTER_PW,
        DB,
    ).stdout.strip()
    assert attributes == "f|f|f"
    assert "permission denied" in refused(pg, "SELECT * FROM public.grades", PG_EXPORTER_ROLE, EXPORTER_PW)
    assert "permission denied" in refused(pg, "CREATE TABLE public.x (i int)", PG_EXPORTER_ROLE, EXPORTER_PW)
    assert "permission denied" in refused(pg, "SELECT 1", PG_EXPORTER_ROLE, EXPORTER_PW, "postgres")
    copy = refused(pg, "COPY (SELECT 1) TO PROGRAM 'id'", PG_EXPORTER_ROLE, EXPORTER_PW)
    assert "pg_execute_server_program" in copy


STATE = """
SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
  SELECT format('role %s %s %s %s %s %s %s', rolname, rolsuper, rolcreaterole, rolcreatedb,
                rolreplication, rolcanlogin, rolbypassrls) AS line
    FROM pg_roles WHERE rolname !~ '^pg_'
  UNION ALL SELECT format('member %s of %s', m.member::regrole, m.roleid::regrole) FROM pg_auth_members m
  UNION ALL SELECT format('db %s owner %s acl %s', datname, pg_get_userbyid(datdba), datacl)
    FROM pg_database
) lines
"""


def test_roles_script_converges_an_existing_volume(pg: Postgres, target: str) -> None:
    """A second run (an existing volume) changes nothing; one after hand-made drift undoes it."""
    before = pg.sql(STATE, PG_ADMIN_ROLE, ADMIN_PW, "postgres").stdout
    pg.apply_roles()
    assert pg.sql(STATE, PG_ADMIN_ROLE, ADMIN_PW, "postgres").stdout == before
    pg.sql(
        f"ALTER ROLE {APP} CREATEROLE CREATEDB; GRANT pg_execute_server_program TO {APP}; "
        f"GRANT CONNECT ON DATABASE postgres TO PUBLIC; ALTER ROLE {APP} PASSWORD 'drifted'"
        + (f"; ALTER ROLE {PG_EXPORTER_ROLE} SUPERUSER" if target == "kubernetes" else ""),
        PG_ADMIN_ROLE,
        ADMIN_PW,
        "postgres",
    )
    pg.apply_roles()
    assert pg.sql(STATE, PG_ADMIN_ROLE, ADMIN_PW, "postgres").stdout == before
    assert app(pg, "SELECT current_user") == APP


def test_start_script_is_valid_bash(pg_rendered: Rendered) -> None:
    """The start script needs the image's docker-entrypoint.sh to run; here bash parses it."""
    script = pg_rendered.files[PG_START_SCRIPT]
    result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert pg_rendered.command[:2] == ["bash", PG_START_SCRIPT]
    assert script.rstrip().endswith('exec docker-entrypoint.sh "$@"')
