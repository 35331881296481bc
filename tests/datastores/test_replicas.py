"""A read replica from the rendered files, against a primary from the rendered files: it
clones the primary, follows it, serves reads and refuses writes (real PostgreSQL 15)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from components.config.errors import ConfigError
from components.datastores.postgres.settings import PG_ADMIN_ROLE, PG_REPLICATION_ROLE, REPLICA
from tests.support.program import run_program

from .conftest import SECRETS
from .rendered import rendered_all
from .servers import primary_at_home, replica

pytestmark = pytest.mark.slow

P = "shiksha-setu"
APP, DB = "shiksha", "shiksha"
OVERRIDES = {
    f"{P}:postgres": {"readReplicas": 1},
    f"{P}:workloads": {"api": {"connectsTo": ["postgres", REPLICA, "redis", "vllm"]}},
}


def test_replica_follows_serves_reads_and_refuses_writes(tmp_path: Path) -> None:
    files = rendered_all("kubernetes", ("postgres", REPLICA, "api"), OVERRIDES)
    primary_files, replica_files = files["postgres"], files[REPLICA]
    read_url = files["api"].env["DATABASE_READ_URL"]
    assert "@postgres-ro:5432/" in read_url

    with primary_at_home(primary_files, tmp_path) as primary:
        primary.sql(
            "CREATE TABLE lessons (id int primary key, title text); INSERT INTO lessons VALUES (1, 'maps')",
            APP,
            SECRETS["postgresPassword"],
            DB,
        )
        with replica(primary, replica_files, tmp_path) as standby:
            streaming = primary.sql(
                "SELECT usename, state FROM pg_stat_replication",
                PG_ADMIN_ROLE,
                SECRETS["postgresAdminPassword"],
                "postgres",
            ).stdout.split()
            assert streaming == [f"{PG_REPLICATION_ROLE}|streaming"]
            app_pw = SECRETS["postgresPassword"]
            assert standby.sql("SELECT pg_is_in_recovery()", APP, app_pw, DB).stdout.strip() == "t"
            # The replica was cloned with the data, and follows what is written afterwards.
            assert standby.sql("SELECT title FROM lessons", APP, app_pw, DB).stdout.strip() == "maps"
            primary.sql("INSERT INTO lessons VALUES (2, 'rivers')", APP, app_pw, DB)
            deadline = time.monotonic() + 30
            while "rivers" not in standby.sql("SELECT title FROM lessons", APP, app_pw, DB).stdout:
                assert time.monotonic() < deadline, "the replica does not follow the primary"
                time.sleep(0.2)
            # Writes are refused, whoever asks.
            refused = standby.sql("INSERT INTO lessons VALUES (3, 'x')", APP, app_pw, DB, check=False)
            assert "read-only transaction" in refused.stderr
            # The application's read URL, parsed by libpq, reaches the replica.
            assert standby.sql_url("SELECT count(*) FROM lessons", read_url).strip() == "2"
            # The replication role streams WAL and reads no database.
            replication_pw = SECRETS["postgresReplicationPassword"]
            for database in (DB, "postgres"):
                denied = primary.sql("SELECT 1", PG_REPLICATION_ROLE, replication_pw, database, check=False)
                assert "permission denied for database" in denied.stderr


def test_replicas_are_objects_of_the_same_intent() -> None:
    """The -ro Service, the read URL only where declared, the network path to the primary."""
    snapshot = run_program("prod", overrides={**OVERRIDES, f"{P}:postgres": {"readReplicas": 2}})
    assert snapshot.one("StatefulSet", REPLICA).inputs["spec"]["replicas"] == 2
    assert snapshot.one("Service", REPLICA).inputs["spec"]["ports"][0]["port"] == 5432
    assert "DATABASE_READ_URL" in snapshot.one("Secret", "api-env").inputs["stringData"]
    assert "DATABASE_READ_URL" not in snapshot.one("Secret", "worker-env").inputs["stringData"]
    assert not [s for s in snapshot.kubernetes_objects() if s.kind == "Secret" and s.name == f"{REPLICA}-env"]
    sources = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for rule in snapshot.one("NetworkPolicy", "postgres-netpol").inputs["spec"]["ingress"]
        for peer in rule["from"]
    }
    assert REPLICA in sources
    replica_sources = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for rule in snapshot.one("NetworkPolicy", f"{REPLICA}-netpol").inputs["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    }
    assert "api" in replica_sources and "worker" not in replica_sources
    none = run_program("prod")
    assert not [
        r
        for r in none.kubernetes_objects()
        if r.inputs.get("metadata", {}).get("name", "").startswith(REPLICA)
    ]


def test_docker_host_refuses_replicas_naming_the_key() -> None:
    snapshot = run_program(
        "prod",
        overrides={f"{P}:target": "docker-host", f"{P}:postgres": {"readReplicas": 1}},
        raise_errors=False,
    )
    assert isinstance(snapshot.error, ConfigError)
    assert f"{P}:postgres.readReplicas: got 1:" in str(snapshot.error)
    assert snapshot.resources == []
