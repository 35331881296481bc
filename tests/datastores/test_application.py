"""The application's own stack on the estate's PostgreSQL: SQLAlchemy 2 on psycopg 3, Alembic
migrations and connection pools at their configured sizes, as the application role, with
exactly the URL and pool settings the estate hands the api and the worker (real PostgreSQL 15
started from the rendered files, both targets).

The estate's `DATABASE_URL` is a driver-neutral libpq URL (`postgresql://`): psycopg and libpq
take it as it is, SQLAlchemy needs the driver named (`application_url` below does what
docs/datastores.md tells the application to do). The tests change only its host and port,
to the test server's.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Engine, make_url

from components.datastores.postgres.files import PG_ROLES_FILE
from components.datastores.postgres.settings import PG_ADMIN_ROLE, PG_EXPORTER_ROLE, REPLICA

from .conftest import SECRETS
from .rendered import Rendered, rendered_all
from .servers import Namespace, Postgres, postgres, primary_at_home, replica, stop

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pg-application")]

P = "shiksha-setu"
CLIENTS = ("api", "worker")
MIGRATIONS = Path(__file__).parent / "migrations"
ADMIN_PW = SECRETS["postgresAdminPassword"]


@pytest.fixture(scope="module")
def estate(target: str) -> dict[str, Rendered]:
    return rendered_all(target, ("postgres", "beat", *CLIENTS))


@pytest.fixture(scope="module")
def pg_rendered(estate: dict[str, Rendered]) -> Rendered:
    """conftest's `pg` starts the server from this program run's files."""
    return estate["postgres"]


def application_url(estate_url: str, server: Postgres) -> URL:
    """What the application does with DATABASE_URL: SQLAlchemy's psycopg 3 dialect named.
    Here only, the cluster's address becomes the test server's."""
    url = make_url(estate_url)
    assert url.drivername == "postgresql", estate_url
    assert (url.host, url.port) == ("postgres", 5432), "the estate's address changed"
    return url.set(drivername="postgresql+psycopg", host=server.host, port=server.port)


def application_engine(client: Rendered, server: Postgres, **extra: Any) -> Engine:
    """The engine one process of `client` opens: its URL and its pool, as the estate says."""
    return sa.create_engine(
        application_url(client.env["DATABASE_URL"], server),
        pool_size=int(client.env["DATABASE_POOL_SIZE"]),
        max_overflow=int(client.env["DATABASE_MAX_OVERFLOW"]),
        connect_args={"connect_timeout": 10},
        **extra,
    )


def refusal(engine: Engine, statement: str) -> str:
    """The server's reply to a statement it must refuse (outside a transaction block, which
    CREATE DATABASE requires)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        try:
            connection.execute(sa.text(statement))
        except sa.exc.DBAPIError as error:
            return str(error.orig)
    raise AssertionError(f"the application role was allowed: {statement}")


# --- what the clients are given ----------------------------------------------------------------


def test_api_and_worker_get_one_url_and_their_own_pools(estate: dict[str, Rendered]) -> None:
    api, worker = estate["api"].env, estate["worker"].env
    assert api["DATABASE_URL"] == worker["DATABASE_URL"]
    assert api["DATABASE_URL"].startswith(
        f"postgresql://shiksha:{SECRETS['postgresPassword']}@postgres:5432/"
    )
    # The production pools (docs/datastores.md): gunicorn's 2 processes x (5 + 2) per api pod,
    # Celery's 4 children x (1 + 1) per worker pod.
    assert (api["DATABASE_POOL_SIZE"], api["DATABASE_MAX_OVERFLOW"]) == ("5", "2")
    assert (worker["DATABASE_POOL_SIZE"], worker["DATABASE_MAX_OVERFLOW"]) == ("1", "1")
    # beat does not connect to the database: no URL, no pool.
    assert not {"DATABASE_URL", "DATABASE_POOL_SIZE"} & set(estate["beat"].env)


# --- the role ----------------------------------------------------------------------------------


def test_the_role_has_what_migrations_need_and_no_more(pg: Postgres, estate: dict[str, Rendered]) -> None:
    engine = application_engine(estate["api"], pg)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(
                    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
                    " has_database_privilege(current_database(), 'CREATE'),"
                    " pg_has_role('pg_read_all_data', 'USAGE'), pg_has_role('pg_write_all_data', 'USAGE')"
                    " FROM pg_roles WHERE rolname = current_user"
                )
            ).one()
        # CREATE on its own database (it owns it) is what a trusted extension needs.
        assert tuple(row) == (False, False, False, False, False, True, False, False)
        refused = {
            "CREATE ROLE intruder LOGIN": "permission denied to create role",
            "SELECT rolpassword FROM pg_authid": "permission denied for table pg_authid",
            "CREATE DATABASE other": "permission denied to create database",
            # Not trusted: would read server files; only a superuser may create it.
            "CREATE EXTENSION file_fdw": 'permission denied to create extension "file_fdw"',
            "SET ROLE postgres": 'permission denied to set role "postgres"',
            "ALTER SYSTEM SET work_mem = '1GB'": "permission denied",
            "COPY (SELECT 1) TO PROGRAM 'id'": "pg_execute_server_program",
        }
        for statement, reply in refused.items():
            got = refusal(engine, statement)
            assert reply in got, f"{statement}: the server replied {got!r}"
    finally:
        engine.dispose()


# --- migrations --------------------------------------------------------------------------------

SCHEMA = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 1, 2
"""


def _state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        columns = [tuple(r) for r in connection.execute(sa.text(SCHEMA))]
        indexes = dict(
            connection.execute(
                sa.text(
                    "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND NOT i.indisprimary"
                )
            ).all()
        )
        extensions = set(connection.scalars(sa.text("SELECT extname FROM pg_extension")))
    return {"columns": columns, "indexes": indexes, "extensions": extensions}


def test_alembic_migrates_up_and_down_as_the_application_role(
    pg: Postgres, estate: dict[str, Rendered]
) -> None:
    worker = estate["worker"]
    engine = application_engine(worker, pg)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = application_url(worker.env["DATABASE_URL"], pg)
    try:
        command.upgrade(config, "head")
        head = _state(engine)
        assert head["columns"] == [
            ("alembic_version", "version_num", "character varying(32)"),
            ("lessons", "id", "integer"),
            ("lessons", "student_id", "uuid"),
            ("lessons", "title", "text"),
            ("students", "full_name", "text"),
            ("students", "id", "uuid"),
            ("students", "password_hash", "text"),
        ]
        # Built CONCURRENTLY and valid; the one dropped CONCURRENTLY is gone.
        assert head["indexes"] == {"ix_lessons_student": True}
        assert "pgcrypto" in head["extensions"]
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO students (full_name, password_hash)"
                    " VALUES ('Asha', crypt('pw', gen_salt('bf', 4)))"
                )
            )
            found = connection.scalar(
                sa.text("SELECT full_name FROM students WHERE password_hash = crypt('pw', password_hash)")
            )
        assert found == "Asha", "pgcrypto's crypt() did not verify the password it hashed"

        command.downgrade(config, "v1")
        assert _state(engine)["indexes"] == {"ix_lessons_title": True}
        command.downgrade(config, "base")
        base = _state(engine)
        assert base["columns"] == [("alembic_version", "version_num", "character varying(32)")]
        assert base["indexes"] == {}
        assert "pgcrypto" not in base["extensions"]
        # And up again: nothing of the first run is left in the way.
        command.upgrade(config, "head")
        assert _state(engine) == {**head, "extensions": head["extensions"]}
        command.downgrade(config, "base")
    finally:
        engine.dispose()


# --- pools ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_a_full_pool_opens_every_connection_at_once_and_no_more(
    pg: Postgres, estate: dict[str, Rendered], client: str
) -> None:
    env = estate[client].env
    size, overflow = int(env["DATABASE_POOL_SIZE"]), int(env["DATABASE_MAX_OVERFLOW"])
    engine = application_engine(estate[client], pg, pool_timeout=1)
    everyone = threading.Barrier(size + overflow + 1, timeout=30)

    def checkout(_: int) -> int:
        with engine.connect() as connection:
            pid = int(connection.scalar(sa.text("SELECT pg_backend_pid()")))
            everyone.wait()  # every connection is checked out at this moment
            everyone.wait()  # ... until the test has looked
            return pid

    try:
        with ThreadPoolExecutor(size + overflow) as pool:
            pids = pool.map(checkout, range(size + overflow))
            everyone.wait()
            held = pg.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'shiksha'",
                PG_ADMIN_ROLE,
                ADMIN_PW,
                "postgres",
            ).stdout.strip()
            limit = f"QueuePool limit of size {size} overflow {overflow}"
            with pytest.raises(sa.exc.TimeoutError, match=limit):
                engine.connect()
            everyone.wait()
            assert len(set(pids)) == size + overflow
        assert held == str(size + overflow)
    finally:
        engine.dispose()


# --- the connection budget, on the real server ---------------------------------------------------

# A small estate whose pools fill max_connections exactly (computed here by hand, not by the
# gate): kubernetes: api 3 pods (maxReplicas 2 + 1 surge) x 2 processes x (2 + 1) = 18, worker
# 2 pods (1 + 1 surge) x 4 x (1 + 1) = 16, the exporter 3, reserved 3: 40. docker-host: api 2
# containers x 2 x 3 = 12, worker 2 x 4 x 2 = 16, no exporter, reserved 3: 31.
FULL = {"kubernetes": 40, "docker-host": 31}


def full_overrides(max_connections: int) -> dict[str, Any]:
    return {
        f"{P}:postgres": {
            "maxConnections": max_connections,
            "pools": {"api": {"size": 2, "maxOverflow": 1}},
        },
        f"{P}:workloads": {
            "api": {"autoscaling": {"minReplicas": 2, "maxReplicas": 2}},
            "worker": {"replicas": 1},
        },
    }


@pytest.fixture(scope="module")
def full_estate(target: str) -> dict[str, Rendered]:
    return rendered_all(target, ("postgres", *CLIENTS), full_overrides(FULL[target]))


@pytest.fixture(scope="module")
def full_pg(full_estate: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    files = full_estate["postgres"]
    log = tmp_path_factory.mktemp("postgres-full") / "postgres.log"
    with postgres(files.files, files.command, files.env, files.files[PG_ROLES_FILE], log) as server:
        yield server


def test_every_pool_at_full_size_fits_and_one_more_connection_is_refused(
    full_pg: Postgres, full_estate: dict[str, Rendered], target: str
) -> None:
    """The gate's arithmetic is the server's: with the pools exactly filling max_connections,
    every process of every pod at full scale checks out its whole pool at once; the next
    connection is refused; the administrator still gets a reserved slot."""
    pods = {"kubernetes": {"api": 3, "worker": 2}, "docker-host": {"api": 2, "worker": 2}}[target]
    processes = {"api": 2, "worker": 4}
    with ExitStack() as held:
        opened = 0
        for client in CLIENTS:
            env = full_estate[client].env
            per_process = int(env["DATABASE_POOL_SIZE"]) + int(env["DATABASE_MAX_OVERFLOW"])
            for _ in range(pods[client] * processes[client]):
                engine = application_engine(full_estate[client], full_pg, pool_timeout=1)
                held.callback(engine.dispose)
                for _ in range(per_process):
                    held.enter_context(engine.connect()).execute(sa.text("SELECT 1"))
                    opened += 1
        if target == "kubernetes":
            for _ in range(3):  # the exporter's connection limit
                held.enter_context(
                    psycopg.connect(
                        host=full_pg.host,
                        port=full_pg.port,
                        user=PG_EXPORTER_ROLE,
                        password=SECRETS["postgresExporterPassword"],
                        dbname="shiksha",
                    )
                )
                opened += 1
        assert opened + 3 == FULL[target]
        one_more = application_engine(full_estate["api"], full_pg)
        held.callback(one_more.dispose)
        with pytest.raises(sa.exc.OperationalError) as refused:
            one_more.connect()
        assert "remaining connection slots are reserved" in str(refused.value.orig), refused.value
        admin = full_pg.sql("SELECT current_user", PG_ADMIN_ROLE, ADMIN_PW, "postgres", check=False)
        assert admin.stdout.strip() == PG_ADMIN_ROLE, admin.stderr


# --- read replicas -------------------------------------------------------------------------------

# The application's client, run inside the primary's network namespace so the estate's URLs
# are used exactly as given (postgres and postgres-ro resolve there as in the cluster).
CLIENT = """
import json, os, sys, time
import psycopg, sqlalchemy as sa
from sqlalchemy.engine import make_url

def engine(variable):
    return sa.create_engine(
        make_url(os.environ[variable]).set(drivername="postgresql+psycopg"),
        pool_size=int(os.environ["DATABASE_POOL_SIZE"]),
        max_overflow=int(os.environ["DATABASE_MAX_OVERFLOW"]),
        pool_timeout=2,
    )

def reply(action):
    try:
        action()
    except sa.exc.DBAPIError as error:
        return str(error.orig)
    except psycopg.Error as error:
        return str(error)
    return "accepted"

step, report = sys.argv[1], {}
if step == "write":
    with engine("DATABASE_URL").begin() as db:
        db.execute(sa.text("CREATE TABLE lessons (id int PRIMARY KEY, title text)"))
        db.execute(sa.text("INSERT INTO lessons VALUES (1, 'maps')"))
elif step == "fill":
    # Every slot but the superusers' reserved ones, held as the application role.
    held = [psycopg.connect(os.environ["DATABASE_URL"]) for _ in range(int(sys.argv[2]))]
    report["one more"] = reply(lambda: psycopg.connect(os.environ["DATABASE_URL"]))
    print(json.dumps(report), flush=True)
    sys.stdin.read()
elif step == "read":
    primary, reads = engine("DATABASE_URL"), engine("DATABASE_READ_URL")
    with reads.connect() as db:
        report["in recovery"] = db.scalar(sa.text("SELECT pg_is_in_recovery()"))
        report["cloned"] = db.scalars(sa.text("SELECT title FROM lessons ORDER BY id")).all()
    with primary.begin() as db:
        db.execute(sa.text("INSERT INTO lessons VALUES (2, 'rivers')"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with reads.connect() as db:
            report["followed"] = db.scalars(sa.text("SELECT title FROM lessons ORDER BY id")).all()
        if "rivers" in report["followed"]:
            break
        time.sleep(0.2)
    def write_on_replica():
        with reads.begin() as db:
            db.execute(sa.text("INSERT INTO lessons VALUES (3, 'x')"))
    report["write"] = reply(write_on_replica)
    pool = int(os.environ["DATABASE_POOL_SIZE"]) + int(os.environ["DATABASE_MAX_OVERFLOW"])
    with reads.connect() as first:
        others = [reads.connect() for _ in range(pool - 1)]
        report["read pool"] = len({c.scalar(sa.text("SELECT pg_backend_pid()")) for c in [first, *others]})
        for c in others:
            c.close()
print(json.dumps(report), flush=True)
"""


def _client(ns: Namespace, hosts: Path, step: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    result = subprocess.run(
        ns.client_command([sys.executable, "-c", CLIENT, step, *args], hosts),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"the application client ({step}): {result.stderr}"
    return dict(json.loads(result.stdout.splitlines()[-1]))


# Its own servers, no module fixture: free to run beside the module's other tests.
@pytest.mark.xdist_group("pg-application-replica")
def test_read_replica_serves_the_read_url_and_refuses_writes(tmp_path: Path) -> None:
    """SQLAlchemy on DATABASE_READ_URL reads what was written on the primary and is refused
    writes. The replica clones (pg_basebackup as the replication role) and streams while
    every non-reserved slot of the primary is held: WAL senders are outside max_connections,
    which is why the budget counts them against max_wal_senders instead."""
    overrides = full_overrides(FULL["kubernetes"])
    overrides[f"{P}:postgres"]["readReplicas"] = 1
    overrides[f"{P}:workloads"]["api"]["connectsTo"] = ["postgres", REPLICA, "redis", "vllm"]
    files = rendered_all("kubernetes", ("postgres", REPLICA, "api"), overrides)
    api = {k: v for k, v in files["api"].env.items() if k.startswith("DATABASE_")}
    assert make_url(api["DATABASE_READ_URL"]).host == REPLICA
    primary_files, replica_files = files["postgres"], files[REPLICA]
    # The primary's hosts file (servers.primary_at_home): the clients resolve the cluster's names.
    hosts = tmp_path / "hosts-primary"
    with primary_at_home(primary_files, tmp_path) as primary:
        assert _client(primary.ns, hosts, "write", api) == {}
        fill = subprocess.Popen(
            primary.ns.client_command(
                [sys.executable, "-c", CLIENT, "fill", str(FULL["kubernetes"] - 3)], hosts
            ),
            env={**os.environ, **api},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert fill.stdout is not None and fill.stdin is not None
            ready, _, _ = select.select([fill.stdout], [], [], 60)
            assert ready, "the client did not fill the primary's connection slots in 60 s"
            filled = json.loads(fill.stdout.readline())
            assert "remaining connection slots are reserved" in filled["one more"], filled
            with replica(primary, replica_files, tmp_path):
                streaming = primary.sql(
                    "SELECT state FROM pg_stat_replication", PG_ADMIN_ROLE, ADMIN_PW, "postgres"
                ).stdout.split()
                assert streaming == ["streaming"]
                fill.stdin.close()
                fill.wait(30)
                report = _client(primary.ns, hosts, "read", api)
        finally:
            stop(fill)  # type: ignore[arg-type]
    assert report["in recovery"] is True
    assert report["cloned"] == ["maps"]
    assert report["followed"] == ["maps", "rivers"], "the replica does not follow the primary"
    assert "cannot execute INSERT in a read-only transaction" in report["write"], report
    assert report["read pool"] == 2 + 1, "the api's whole read pool did not open on the replica"
