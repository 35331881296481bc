"""One broker per target, started from the estate's rendered files, and the Celery clients
(worker, beat, the api's client) with the variables the estate renders for them.

Session-scoped, not module-scoped: under xdist a worker may run another module's tests
between two of test_celery.py's, which would tear a module fixture down and start a new
broker, and the final check of the grants reads one broker's counters over every scenario."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.datastores.conftest import BROKER_OVERRIDES, REDIS_DATA
from tests.datastores.rendered import TARGETS, Rendered, rendered_all
from tests.datastores.servers import Redis, redis

from .harness import Clients, command_stats
from .venv import clients_bin

CELERY_ROLES = ("api", "worker", "beat")


@pytest.fixture(scope="session", params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def estate(target: str) -> dict[str, Rendered]:
    return rendered_all(target, (*CELERY_ROLES, "redis"), BROKER_OVERRIDES)


@pytest.fixture(scope="session")
def broker(estate: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    log = tmp_path_factory.mktemp("broker") / "redis.log"
    with redis(estate["redis"].files, estate["redis"].command, REDIS_DATA, log) as server:
        yield server


@pytest.fixture(scope="session")
def clients(
    estate: dict[str, Rendered], broker: Redis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Clients]:
    bin_dir = clients_bin()
    scratch = tmp_path_factory.mktemp("clients")
    scratch.chmod(0o755)
    harness = Clients(bin_dir, estate, broker, scratch, baseline=command_stats(broker))
    try:
        yield harness
    finally:
        harness.close()
