"""The rendered Redis estate in a real redis-server: nobody unauthenticated, the application
without administration, a read-only monitor, a broker that refuses writes instead of
evicting and keeps its queue across restarts, a cache that evicts and keeps nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py

from components.datastores.redis.acl import REDIS_APP_COMMANDS
from components.datastores.redis.files import REDIS_AUTH_PATH
from components.datastores.redis.settings import REDIS_APP_USER, REDIS_MONITOR_USER

from .conftest import REDIS_DATA, SECRETS
from .rendered import Rendered, rendered
from .servers import Redis, redis

pytestmark = pytest.mark.slow

APP_PW = SECRETS["redisPassword"]
MONITOR_PW = SECRETS["redisMonitorPassword"]


def connect(server: Redis, user: str | None, password: str | None) -> redis_py.Redis:
    return server.client(user, password)


def users(server: Redis) -> set[str]:
    observer = connect(server, "observer", server.observer_password)
    return {name.decode() for name in observer.execute_command("ACL", "USERS")}


def test_rendered_files_hold_no_password(broker_rendered: Rendered) -> None:
    for path, content in broker_rendered.files.items():
        assert APP_PW not in content and MONITOR_PW not in content, path
    assert "user default off" in broker_rendered.files[REDIS_AUTH_PATH]


def test_only_the_estate_users_exist(broker: Redis) -> None:
    assert users(broker) == {"default", REDIS_APP_USER, REDIS_MONITOR_USER, "observer"}


def test_unauthenticated_commands_are_refused(broker: Redis) -> None:
    anonymous = connect(broker, None, None)
    for command in (("PING",), ("GET", "x"), ("SET", "x", "1"), ("FLUSHALL",), ("CONFIG", "GET", "*")):
        with pytest.raises(redis_py.exceptions.AuthenticationError, match="Authentication required"):
            anonymous.execute_command(*command)
    with pytest.raises(redis_py.exceptions.AuthenticationError):
        connect(broker, "default", "").ping()
    with pytest.raises(redis_py.exceptions.AuthenticationError):
        connect(broker, REDIS_APP_USER, APP_PW + "x").ping()


def test_application_user_has_exactly_the_granted_commands(broker: Redis) -> None:
    """The server's own reading of the rendered ACL (ACL LIST) grants the table of
    REDIS_APP_COMMANDS and nothing else; tests/clients proves the table with Celery itself."""
    assert acl_commands(broker, REDIS_APP_USER) == set(REDIS_APP_COMMANDS)


def acl_commands(server: Redis, user: str) -> set[str]:
    """The commands the server lets `user` run, from its own ACL LIST line: a category it
    wrote back (+@transaction for MULTI, EXEC, WATCH ...) expanded by COMMAND LIST."""
    observer = connect(server, "observer", server.observer_password)
    line = next(
        u.decode() for u in observer.execute_command("ACL", "LIST") if u.startswith(f"user {user} ".encode())
    )
    allowed: set[str] = set()
    for token in line.split():
        if token[:1] not in "+-" or token == "-@all":
            continue
        if token[1] == "@":
            names = {m.decode() for m in observer.command_list(category=token[2:])}
        else:
            names = {token[1:]}
        allowed = allowed | names if token[0] == "+" else allowed - names
    return allowed


@pytest.mark.parametrize(
    "command",
    [
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
        ("CONFIG", "GET", "*"),
        ("CONFIG", "REWRITE"),
        ("DEBUG", "SLEEP", "0"),
        ("KEYS", "*"),
        ("MODULE", "LOAD", "/tmp/evil.so"),
        ("ACL", "SETUSER", "intruder", "on", "nopass", "+@all"),
        ("ACL", "LIST"),
        ("SHUTDOWN", "NOSAVE"),
        ("REPLICAOF", "127.0.0.1", "1"),
        ("BGSAVE",),
        ("CLIENT", "KILL", "TYPE", "normal"),
        ("MONITOR",),
        ("EVAL", "return redis.call('FLUSHALL')", "0"),
        ("EVAL_RO", "return 1", "0"),
        ("SCRIPT", "FLUSH"),
        ("SCRIPT", "KILL"),
        ("FUNCTION", "FLUSH"),
        ("FUNCTION", "LOAD", "#!lua name=evil\nredis.register_function('f', function() return 1 end)"),
        ("FCALL", "f", "0"),
        ("CLIENT", "SETNAME", "x"),
        ("SCAN", "0"),
        ("OBJECT", "ENCODING", "celery"),
        ("MIGRATE", "127.0.0.1", "1", "celery", "0", "1000"),
        ("SWAPDB", "0", "1"),
        ("SELECT", "1"),
    ],
)
def test_application_user_cannot(broker: Redis, command: tuple[str, ...]) -> None:
    app = connect(broker, REDIS_APP_USER, APP_PW)
    # DEBUG and MODULE are also off for everyone (enable-*-command no): refused before the ACL.
    with pytest.raises(redis_py.exceptions.ResponseError, match=r"has no permissions|command not allowed"):
        app.execute_command(*command)
    assert app.ping()


@pytest.mark.parametrize(
    "script",
    [
        "return redis.call('FLUSHALL')",
        "return redis.call('CONFIG', 'SET', 'maxmemory', '0')",
        "return redis.call('KEYS', '*')",
        "return redis.call('LRANGE', 'celery', 0, -1)",
    ],
)
def test_a_loaded_script_runs_only_granted_commands(broker: Redis, script: str) -> None:
    """SCRIPT LOAD and EVALSHA are granted (redis-py's Script): the commands inside a script
    are still judged by the ACL, so a script opens no door the user does not have."""
    app = connect(broker, REDIS_APP_USER, APP_PW)
    app.set("still-here", "1")
    sha = app.script_load(script)
    with pytest.raises(
        redis_py.exceptions.ResponseError, match=r"can't run this command|not allowed from script"
    ):
        app.evalsha(sha, 0)
    assert app.get("still-here") == b"1"


def test_monitor_reads_metrics_and_no_data(broker: Redis) -> None:
    monitor = connect(broker, REDIS_MONITOR_USER, MONITOR_PW)
    assert "used_memory" in monitor.info("memory")
    assert monitor.config_get("maxmemory") == {"maxmemory": str(4 * 2**20)}
    monitor.slowlog_get()
    # The queue's length (redis_exporter's key check), never a message in it.
    assert monitor.llen("celery") == 0
    for command in (
        ("CLIENT", "LIST"),
        ("CLIENT", "KILL", "USER", "app"),
        ("LLEN", "celery-task-meta-1"),
        ("TYPE", "_kombu.binding.celery"),
        ("GET", "celery"),
        ("LRANGE", "celery", "0", "-1"),
        ("SET", "x", "1"),
        ("FLUSHALL",),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("SUBSCRIBE", "celery-task-meta-1"),
        ("KEYS", "*"),
    ):
        with pytest.raises(redis_py.exceptions.NoPermissionError):
            monitor.execute_command(*command)


@pytest.fixture
def own_broker(broker_rendered: Rendered, tmp_path: Path) -> Iterator[Redis]:
    """A broker of its own: this test fills it and restarts it."""
    with redis(broker_rendered.files, broker_rendered.command, REDIS_DATA, tmp_path / "redis.log") as server:
        yield server


def test_full_broker_refuses_writes_and_loses_nothing_across_restarts(own_broker: Redis) -> None:
    app = connect(own_broker, REDIS_APP_USER, APP_PW)
    app.sadd("_kombu.binding.celery", "celery\x06\x16\x06\x16celery")
    payload = "x" * 1024
    queued = []
    with pytest.raises(redis_py.exceptions.OutOfMemoryError, match="maxmemory"):
        for index in range(100_000):
            app.lpush("celery", f"{index}:{payload}")
            queued.append(f"{index}:{payload}".encode())
    assert len(queued) > 100, "the broker refused writes before it was full"
    monitor = connect(own_broker, REDIS_MONITOR_USER, MONITOR_PW)
    assert monitor.info("stats")["evicted_keys"] == 0

    def everything_is_there() -> None:
        # Read by the test observer: the application user may not LRANGE (no client needs it).
        observer = connect(own_broker, "observer", own_broker.observer_password)
        assert observer.lrange("celery", 0, -1) == queued[::-1]
        assert observer.smembers("_kombu.binding.celery") == {b"celery\x06\x16\x06\x16celery"}

    everything_is_there()
    own_broker.stop()  # SIGTERM: a graceful shutdown
    own_broker.start()
    app = connect(own_broker, REDIS_APP_USER, APP_PW)
    everything_is_there()
    # Workers drain the queue (a pop is allowed while full), then producers may write again.
    # A crash: the AOF is fsynced every second, so what was written a second ago survives.
    drained = len(queued) // 2
    for _ in range(drained):  # as kombu's consumer pops (BRPOP)
        assert app.brpop(["celery"], timeout=5) is not None
    del queued[:drained]
    app.lpush("celery", "after-crash")
    queued.append(b"after-crash")
    time.sleep(1.5)
    own_broker.stop(kill=True)
    own_broker.start()
    app = connect(own_broker, REDIS_APP_USER, APP_PW)
    everything_is_there()
    aof = own_broker.ns.root / REDIS_DATA.lstrip("/") / "appendonlydir"
    assert any(path.name.endswith(".aof") for path in aof.iterdir())


CACHE_OVERRIDES = {
    "shiksha-setu:redisCache": {"maxmemory": "2mb"},
    "shiksha-setu:workloads": {
        "redis": {"storage": {"mountPath": REDIS_DATA}},
        "redis-cache": {"enabled": True},
    },
}


@pytest.mark.parametrize("target", ["kubernetes", "docker-host"])
def test_cache_evicts_and_keeps_nothing(target: str, tmp_path: Path) -> None:
    cache = rendered(target, "redis-cache", CACHE_OVERRIDES)
    data_dir = next(
        line.split()[1].strip('"')
        for line in cache.files["/etc/redis/conf/redis.conf"].splitlines()
        if line.startswith("dir ")
    )
    with redis(cache.files, cache.command, data_dir, tmp_path / "cache.log", data_root=data_dir) as server:
        app = connect(server, REDIS_APP_USER, SECRETS["redisCachePassword"])
        old = [f"page:{index}" for index in range(100)]
        for key in old:
            app.set(key, "y" * 1024)
        # Redis's LRU clock ticks once a second: keys written within one tick look equally
        # old and are evicted at random (a fresh-clone run kept page:0 that way). Written a
        # tick apart, the first keys are the oldest ones, and the ones LRU must evict.
        time.sleep(1.1)
        for index in range(100, 5000):
            app.set(f"page:{index}", "y" * 1024)  # never an OOM error: old keys go instead
        observer = connect(server, "observer", server.observer_password)
        assert observer.dbsize() < 5000, "the cache evicted nothing"
        assert [key for key in old if app.get(key) is not None] == [], "LRU kept the oldest keys"
        assert users(server) == {"default", REDIS_APP_USER, "observer"}
        with pytest.raises(redis_py.exceptions.NoPermissionError):
            app.flushall()
        server.stop()
        assert list((server.ns.root / data_dir.lstrip("/")).iterdir()) == []
