"""The api's cache operations with redis-py on the rendered cache (workloads.redis-cache):
get, set with a time to live, delete; exactly those are granted, and nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis as redis_py

from components.datastores.redis.acl import REDIS_CACHE_COMMANDS
from tests.datastores.conftest import REDIS_DATA, SECRETS
from tests.datastores.rendered import TARGETS, Rendered, rendered_all
from tests.datastores.servers import Redis, redis

from .harness import command_stats, pointed_at

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("redis-cache-clients")]

CACHE_OVERRIDES = {
    "shiksha-setu:workloads": {
        "redis": {"storage": {"mountPath": REDIS_DATA}},
        "redis-cache": {"enabled": True},
        "api": {"connectsTo": ["postgres", "redis", "redis-cache", "vllm"]},
    },
}


@pytest.fixture(scope="module", params=TARGETS)
def cache_estate(request: pytest.FixtureRequest) -> dict[str, Rendered]:
    return rendered_all(str(request.param), ("api", "redis-cache"), CACHE_OVERRIDES)


@pytest.fixture(scope="module")
def cache(cache_estate: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    rendered = cache_estate["redis-cache"]
    data_dir = next(
        line.split()[1].strip('"')
        for line in rendered.files["/etc/redis/conf/redis.conf"].splitlines()
        if line.startswith("dir ")
    )
    log = tmp_path_factory.mktemp("cache") / "cache.log"
    with redis(rendered.files, rendered.command, data_dir, log, data_root=data_dir) as server:
        yield server


def api_client(cache_estate: dict[str, Rendered], cache: Redis, protocol: int = 3) -> redis_py.Redis:
    env = cache_estate["api"].env
    assert env["REDIS_URL"] == env["CACHE_URL"], "REDIS_URL is the cache's when there is one"
    url = pointed_at(env["CACHE_URL"], "redis-cache", cache.port)
    return redis_py.Redis.from_url(url, socket_timeout=10, protocol=protocol)


def test_the_api_caches_with_a_time_to_live(cache_estate: dict[str, Rendered], cache: Redis) -> None:
    before = command_stats(cache)
    api = api_client(cache_estate, cache)
    resp2 = api_client(cache_estate, cache, protocol=2)  # AUTH instead of HELLO
    assert resp2.ping()
    assert api.set("lesson:42", '{"title": "Fractions"}', ex=3600)
    assert api.get("lesson:42") == b'{"title": "Fractions"}'
    assert api.set("session:short", "x", ex=1)
    deadline = time.monotonic() + 15
    while api.get("session:short") is not None:
        assert time.monotonic() < deadline, "redis-py Redis.set(ex=1): the key never expired"
        time.sleep(0.2)
    assert api.delete("lesson:42") == 1
    assert api.get("lesson:42") is None
    after = command_stats(cache)
    sent = {c for c, n in after.items() if n["calls"] > before.get(c, {}).get("calls", 0)} - {"info"}
    assert sent == set(REDIS_CACHE_COMMANDS), "the cache grants exactly what the api's cache sends"


@pytest.mark.parametrize(
    "command",
    [
        ("KEYS", "*"),
        ("SCAN", "0"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("LPUSH", "celery", "x"),
        ("EVAL", "return 1", "0"),
        ("SUBSCRIBE", "x"),
        ("DEBUG", "SLEEP", "0"),
        ("SHUTDOWN",),
        ("ACL", "WHOAMI"),
        ("MODULE", "LIST"),
    ],
)
def test_the_cache_user_cannot(
    cache_estate: dict[str, Rendered], cache: Redis, command: tuple[str, ...]
) -> None:
    api = api_client(cache_estate, cache, protocol=2)
    with pytest.raises(redis_py.exceptions.ResponseError, match=r"no permissions|command not allowed"):
        api.execute_command(*command)


def test_cache_files_hold_no_password(cache_estate: dict[str, Rendered]) -> None:
    password = SECRETS["redisCachePassword"]
    assert all(password not in content for content in cache_estate["redis-cache"].files.values())
