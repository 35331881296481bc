"""The gate's connection budget: every pool the estate configures, at full scale, plus the
exporter and the reserved slots, must fit PostgreSQL's max_connections (on the primary, and on
each read replica for the read pools); the WAL streams must fit max_wal_senders. The sums here
are written out by hand; tests/datastores/test_application.py proves on a real server that the
same arithmetic is the server's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.defaults import deep_merge
from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.plan.estate import plan

P = "shiksha-setu"

# The production estate on kubernetes: reserved 3 + the exporter 3 + api 11 pods (maxReplicas
# 10 + 1 surge) x 2 gunicorn processes x (5 + 2) + worker 3 pods (2 + 1 surge) x 4 Celery
# children x (1 + 1).
PRODUCTION = 3 + 3 + 11 * 2 * (5 + 2) + 3 * 4 * (1 + 1)
# docker-host: no exporter; one container per workload, two during a rolling replacement.
DOCKER_HOST = 3 + 2 * 2 * (5 + 2) + 2 * 4 * (1 + 1)


def problems(values: dict[str, Any]) -> list[str]:
    try:
        parse_estate(values)
    except ConfigError as error:
        return [line.strip()[2:] for line in str(error).splitlines()[1:]]
    return []


def budget(values: dict[str, Any]) -> list[str]:
    """Only the budget's own problems (a big estate also outgrows the namespace quota)."""
    keys = (f"{P}:postgres.", f"{P}:workloads.worker.args")
    return [p for p in problems(values) if p.startswith(keys)]


def test_the_production_estate_fits_with_room_to_spare() -> None:
    assert PRODUCTION == 184
    assert problems({}) == []
    assert budget({"postgres": {"maxConnections": PRODUCTION}}) == []
    assert problems({"target": "docker-host", "postgres": {"maxConnections": DOCKER_HOST}}) == []
    (refused,) = problems({"target": "docker-host", "postgres": {"maxConnections": DOCKER_HOST - 1}})
    assert f"must hold {DOCKER_HOST} connections" in refused
    assert "api: 2 containers (one and its rolling replacement) x 2 processes x (5 + 2)" in refused


def test_one_connection_short_is_refused_naming_every_key_and_number() -> None:
    (refused,) = problems({"postgres": {"maxConnections": PRODUCTION - 1}})
    assert refused.startswith(
        f"{P}:postgres.maxConnections: got {PRODUCTION - 1}: the primary must hold {PRODUCTION} connections"
    )
    for part in (
        "3 for postgres.superuserReservedConnections",
        "3 for the exporter's connection limit (monitoring.exporters.postgres)",
        "154 for api: 11 pods (workloads.api.autoscaling.maxReplicas 10 + 1 rollout surge) x 2 processes"
        " x (5 + 2) (postgres.pools.api.processes, .size, .maxOverflow)",
        "24 for worker: 3 pods (workloads.worker.replicas 2 + 1 rollout surge) x 4 processes x (1 + 1)",
    ):
        assert part in refused, refused


@pytest.mark.parametrize(
    ("values", "need"),
    [
        # Autoscaling allowed further: 13 api pods.
        ({"workloads": {"api": {"autoscaling": {"maxReplicas": 12}}}}, PRODUCTION + 2 * 14),
        # A bigger pool per api process.
        ({"postgres": {"pools": {"api": {"maxOverflow": 4}}}}, PRODUCTION + 11 * 2 * 2),
        # More Celery children, the pool's processes following them.
        (
            {
                "workloads": {"worker": {"args": ["-A", "app.celery_app", "worker", "--concurrency=8"]}},
                "postgres": {"pools": {"worker": {"processes": 8}}},
            },
            PRODUCTION + 3 * 4 * 2,
        ),
        # beat given a database scheduler: one pod (a singleton has no surge) x 1 x (1 + 1).
        ({"workloads": {"beat": {"connectsTo": ["redis", "postgres"]}}}, PRODUCTION + 2),
        # The administrator's reserved slots raised.
        ({"postgres": {"superuserReservedConnections": 20}}, PRODUCTION + 17),
    ],
)
def test_growing_any_part_past_max_connections_is_refused(values: dict[str, Any], need: int) -> None:
    assert budget(deep_merge(values, {"postgres": {"maxConnections": need}})) == []
    (refused,) = budget(deep_merge(values, {"postgres": {"maxConnections": need - 1}}))
    assert f"got {need - 1}: the primary must hold {need} connections" in refused


def test_reserved_slots_leave_one_for_the_server_to_start_even_without_clients() -> None:
    alone = {
        "monitoring": {"exporters": {"postgres": False}},
        "workloads": {"api": {"enabled": False}, "worker": {"enabled": False}},
    }
    assert (
        budget(deep_merge(alone, {"postgres": {"maxConnections": 4, "superuserReservedConnections": 3}}))
        == []
    )
    (refused,) = budget(
        deep_merge(alone, {"postgres": {"maxConnections": 3, "superuserReservedConnections": 3}})
    )
    assert refused == (
        f"{P}:postgres.superuserReservedConnections: got 3: must be less than postgres.maxConnections (3), "
        "or PostgreSQL does not start"
    )


def test_without_the_exporter_its_connections_are_not_counted() -> None:
    off = {"monitoring": {"exporters": {"postgres": False}}, "postgres": {"maxConnections": PRODUCTION - 3}}
    assert problems(off) == []


def test_read_pools_must_fit_each_replica() -> None:
    """All read pools count on one replica: a Service spreads connections unevenly, and the
    replicas left serving take the connections of one that restarts."""
    reports = {
        "component": "reports",
        "image": "backend",
        "replicas": 1,
        "connectsTo": ["postgres-ro"],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "100m", "memory": "128Mi"},
        },
        "probes": {"liveness": {"exec": ["true"]}},
    }
    values = {
        "postgres": {"readReplicas": 2, "pools": {"reports": {"size": 40, "maxOverflow": 0}}},
        "workloads": {"reports": reports, "api": {"connectsTo": ["postgres", "postgres-ro", "redis"]}},
    }
    need = 3 + 154 + 2 * 40  # reserved, the api's read pools, reports' 2 pods (1 + surge) x 1 x 40
    (refused,) = budget(values)
    assert f"got 200: each read replica (postgres-ro) must hold {need} connections" in refused
    assert "80 for reports: 2 pods (workloads.reports.replicas 1 + 1 rollout surge) x 1 processes" in refused
    # The primary is not charged for connections that go to the replicas.
    assert "the primary must hold" not in refused


def test_wal_streams_must_fit_max_wal_senders() -> None:
    def replicas(n: int, senders: int | None = None) -> list[str]:
        postgres: dict[str, Any] = {"readReplicas": n}
        if senders is not None:
            postgres["maxWalSenders"] = senders
        return [p for p in budget({"postgres": postgres}) if "maxWalSenders" in p]

    assert replicas(8) == []
    (refused,) = replicas(9)
    assert refused.startswith(f"{P}:postgres.maxWalSenders: got 10: 9 read replicas (postgres.readReplicas)")
    assert "up to 11 WAL senders" in refused
    assert replicas(15, 17) == []


@pytest.mark.parametrize(
    ("values", "key"),
    [
        # SQLAlchemy reads pool_size 0 as no limit and max_overflow -1 as no limit on overflow.
        ({"pools": {"api": {"size": 0}}}, "postgres.pools.api.size: got 0"),
        ({"pools": {"api": {"maxOverflow": -1}}}, "postgres.pools.api.maxOverflow: got -1"),
        ({"pools": {"api": {"size": True}}}, "postgres.pools.api.size: got True"),
        ({"pools": {"api": {"size": "5"}}}, "postgres.pools.api.size: got '5'"),
        ({"pools": {"api": {"processes": 10**6}}}, "postgres.pools.api.processes: got 1000000"),
        ({"pools": {"api": {"poolSize": 5}}}, "postgres.pools.api.poolSize"),
        ({"pools": {"wroker": {"size": 2}}}, "postgres.pools.wroker: names no workload"),
        ({"pools": {"postgres": {"size": 2}}}, "postgres.pools.postgres: is the database itself"),
        ({"pools": {"Api": {"size": 2}}}, "postgres.pools.Api"),
        ({"pools": []}, "postgres.pools: got []"),
        ({"maxConnections": 0}, "postgres.maxConnections: got 0"),
        ({"superuserReservedConnections": -1}, "postgres.superuserReservedConnections: got -1"),
        # Every other slot reserved for superusers: nothing is left for the pools.
        (
            {"superuserReservedConnections": 200},
            "postgres.maxConnections: got 200: the primary must hold 381",
        ),
    ],
)
def test_hostile_pool_values_are_refused_naming_the_key(values: dict[str, Any], key: str) -> None:
    found = problems({"postgres": values})
    assert any(p.startswith(f"{P}:{key}") for p in found), found


def test_huge_pools_are_refused_with_their_numbers() -> None:
    (refused,) = budget(
        {"postgres": {"pools": {"api": {"processes": 2, "size": 10_000, "maxOverflow": 10_000}}}}
    )
    assert f"must hold {3 + 3 + 11 * 2 * 20_000 + 24} connections" in refused


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (["app.main:app", "-w", "4"], "-w 4"),
        (["app.main:app", "--workers=4"], "--workers=4"),
        (["app.main:app", "--workers", "4"], "--workers 4"),
        (["app.main:app", "-w4"], "-w4"),
    ],
)
def test_the_pools_processes_follow_the_servers_own_flags(args: list[str], written: str) -> None:
    (refused,) = problems({"workloads": {"api": {"args": args}}})
    assert refused == (
        f"{P}:postgres.pools.api.processes: got 2: workloads.api.args start 4 processes per pod "
        f"({written}), each with its own pool; set it to 4"
    )
    # Saying 4 is accepted as to the processes, and then counted: 11 pods x 4 x (5 + 2).
    (budget_refusal,) = problems(
        {"workloads": {"api": {"args": args}}, "postgres": {"pools": {"api": {"processes": 4}}}}
    )
    assert f"the primary must hold {PRODUCTION + 11 * 2 * 7} connections" in budget_refusal


def test_the_pool_environment_is_the_estates_alone() -> None:
    (refused,) = problems({"workloads": {"worker": {"env": {"DATABASE_POOL_SIZE": "50"}}}})
    assert refused == (
        f"{P}:workloads.worker.env.DATABASE_POOL_SIZE: is set by the estate from postgres.pools.worker "
        "(the connection budget counts that value); set it there"
    )


def test_a_celery_worker_must_say_its_concurrency() -> None:
    (refused,) = problems({"workloads": {"worker": {"args": ["-A", "app.celery_app", "worker"]}}})
    assert refused.startswith(f"{P}:workloads.worker.args: run a Celery worker without --concurrency")


def test_clients_get_their_pool_in_plain_environment() -> None:
    values = {
        "postgres": {"readReplicas": 1},
        "workloads": {"beat": {"connectsTo": ["redis", "postgres-ro"]}},
    }
    workloads = plan(parse_estate(values)).workloads
    for name, size, overflow in (("api", "5", "2"), ("worker", "1", "1"), ("beat", "1", "1")):
        env = workloads[name].spec.env
        assert (env["DATABASE_POOL_SIZE"], env["DATABASE_MAX_OVERFLOW"]) == (size, overflow), name
    assert "DATABASE_POOL_SIZE" not in workloads["frontend"].spec.env
    assert "DATABASE_POOL_SIZE" not in workloads["postgres-ro"].spec.env


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    api_max=st.integers(3, 30),
    worker_replicas=st.integers(1, 6),
    size=st.integers(1, 12),
    overflow=st.integers(0, 12),
    reserved=st.integers(0, 10),
    slack=st.integers(-5, 5),
)
def test_the_gate_accepts_exactly_what_fits(
    api_max: int, worker_replicas: int, size: int, overflow: int, reserved: int, slack: int
) -> None:
    need = reserved + 3 + (api_max + 1) * 2 * (size + overflow) + (worker_replicas + 1) * 4 * (1 + 1)
    values = {
        "workloads": {
            "api": {"autoscaling": {"maxReplicas": api_max}},
            "worker": {"replicas": worker_replicas},
        },
        "postgres": {
            "maxConnections": max(1, need + slack),
            "superuserReservedConnections": reserved,
            "pools": {"api": {"size": size, "maxOverflow": overflow}},
        },
    }
    refused = [p for p in budget(values) if "maxConnections" in p]
    assert bool(refused) == (need + slack < need), (need, slack, refused)
