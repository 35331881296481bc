"""Rendered estates and real servers shared by the datastore tests (one per target)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.datastores.postgres.files import PG_ROLES_FILE
from tests.support.program import TEST_SECRETS

from .rendered import TARGETS, Rendered, rendered
from .servers import Postgres, Redis, postgres, redis

# The broker's data directory on a path the test host has (the prod default, /data, it has
# not); every other rendered value is the production estate's.
REDIS_DATA = "/var/lib/redis"
# Small enough to reach in a test; the production value is only a size.
BROKER_OVERRIDES = {
    "shiksha-setu:redis": {"maxmemory": "4mb"},
    "shiksha-setu:workloads": {"redis": {"storage": {"mountPath": REDIS_DATA}}},
}


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def pg_rendered(target: str) -> Rendered:
    return rendered(target, "postgres")


@pytest.fixture(scope="module")
def pg(pg_rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    log = tmp_path_factory.mktemp("postgres") / "postgres.log"
    with postgres(
        pg_rendered.files, pg_rendered.command, pg_rendered.env, pg_rendered.files[PG_ROLES_FILE], log
    ) as server:
        yield server


@pytest.fixture(scope="module")
def broker_rendered(target: str) -> Rendered:
    return rendered(target, "redis", BROKER_OVERRIDES)


@pytest.fixture(scope="module")
def broker(broker_rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    with redis(broker_rendered.files, broker_rendered.command, REDIS_DATA, log) as server:
        yield server


SECRETS = TEST_SECRETS
