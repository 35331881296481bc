"""Hostile datastore config: refused in the model naming the key, with nothing registered,
or rendered and proven harmless by the real servers (no extra user, the exact password,
the server starts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from components.config.errors import ConfigError
from components.datastores.postgres.files import PG_ROLES_FILE
from components.datastores.postgres.settings import PG_EXPORTER_ROLE
from components.datastores.redis.settings import REDIS_APP_USER, REDIS_MONITOR_USER
from tests.support.program import TEST_SECRETS, run_program

from .conftest import REDIS_DATA
from .rendered import TARGETS, rendered_all
from .servers import postgres, redis

P = "shiksha-setu"

REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "redis.save entry with a newline",
        {f"{P}:redis": {"save": ["60 1\nuser evil on nopass ~* +@all"]}},
        f"{P}:redis.save[0]",
    ),
    (
        "redis.save entry with a trailing newline",
        {f"{P}:redis": {"save": ["900 1", "60 1\n"]}},
        f"{P}:redis.save[1]",
    ),
    (
        "redis.save entry with a quote",
        {f"{P}:redis": {"save": ['60 1" include "/etc/x']}},
        f"{P}:redis.save[0]",
    ),
    ("redis.save entry in non-ASCII digits", {f"{P}:redis": {"save": ["٦٠ 1"]}}, f"{P}:redis.save[0]"),
    ("redis.save entry of zero seconds", {f"{P}:redis": {"save": ["0 1"]}}, f"{P}:redis.save[0]"),
    (
        "redis.maxmemory with a newline",
        {f"{P}:redis": {"maxmemory": "1gb\nuser evil on"}},
        f"{P}:redis.maxmemory",
    ),
    (
        "redis.maxmemory in full-width digits",
        {f"{P}:redis": {"maxmemory": "\uff11gb"}},
        f"{P}:redis.maxmemory",
    ),
    ("redis.maxmemory of zero", {f"{P}:redis": {"maxmemory": "0mb"}}, f"{P}:redis.maxmemory"),
    ("an evicting broker", {f"{P}:redis": {"maxmemoryPolicy": "allkeys-lru"}}, f"{P}:redis.maxmemoryPolicy"),
    (
        "redisCache.maxmemory with a space",
        {f"{P}:redisCache": {"maxmemory": "1gb evil"}},
        f"{P}:redisCache.maxmemory",
    ),
    (
        "postgres size with a newline",
        {f"{P}:postgres": {"sharedBuffers": "1GB\n"}},
        f"{P}:postgres.sharedBuffers",
    ),
    (
        "postgres size with another setting",
        {f"{P}:postgres": {"workMem": "16MB -c ssl=off"}},
        f"{P}:postgres.workMem",
    ),
    (
        "postgres size in non-ASCII digits",
        {f"{P}:postgres": {"walBuffers": "\u0661\u0666MB"}},
        f"{P}:postgres.walBuffers",
    ),
    (
        "postgres max_connections beyond its limit",
        {f"{P}:postgres": {"maxConnections": 10**9}},
        f"{P}:postgres.maxConnections",
    ),
    (
        "postgres random_page_cost infinite",
        {f"{P}:postgres": {"randomPageCost": "inf"}},
        f"{P}:postgres.randomPageCost",
    ),
    (
        "postgres appUser with SQL",
        {f"{P}:postgres": {"appUser": "x'; DROP ROLE postgres; --"}},
        f"{P}:postgres.appUser",
    ),
    (
        "postgres appUser the administrator",
        {f"{P}:postgres": {"appUser": "postgres"}},
        f"{P}:postgres.appUser",
    ),
    ("postgres appUser a system role", {f"{P}:postgres": {"appUser": "pg_monitor"}}, f"{P}:postgres.appUser"),
    (
        "postgres database with a newline",
        {f"{P}:postgres": {"database": "shiksha\n"}},
        f"{P}:postgres.database",
    ),
    ("postgres database in upper case", {f"{P}:postgres": {"database": "Shiksha"}}, f"{P}:postgres.database"),
    (
        # Written into redis.conf's `dir` (quoted), but refused first: a data directory is a
        # plain absolute path.
        "redis data directory with quotes, spaces and escapes",
        {f"{P}:workloads": {"redis": {"storage": {"mountPath": f'{REDIS_DATA}/we ird"dir\\x41#;\\'}}}},
        f"{P}:workloads.redis.storage.mountPath",
    ),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("case", "overrides", "key"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_naming_the_key(target: str, case: str, overrides: dict[str, Any], key: str) -> None:
    if target == "docker-host":
        overrides = {**overrides, f"{P}:target": "docker-host"}
    snapshot = run_program("prod", overrides=overrides, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError), (case, snapshot.error)
    assert f"{key}:" in str(snapshot.error), str(snapshot.error)
    assert snapshot.resources == [], "nothing may be registered when the config is bad"


def test_disabled_datastores_need_no_secrets() -> None:
    """No KeyError, no demand for a password of something that does not run."""
    secrets = {k: v for k, v in TEST_SECRETS.items() if not k.startswith(("postgres", "redis"))}
    off = {"enabled": False}
    unreferenced = {
        "postgres": off,
        "redis": off,
        **{name: {"connectsToRemove": ["postgres", "redis"]} for name in ("api", "worker")},
        "beat": {"connectsToRemove": ["redis"]},
    }
    for target in TARGETS:
        # Still named in connectsTo: refused cleanly or built, never a KeyError.
        referenced = run_program(
            "prod",
            overrides={f"{P}:target": target, f"{P}:workloads": {"postgres": off, "redis": off}},
            secrets=secrets,
            raise_errors=False,
        )
        assert referenced.error is None or isinstance(referenced.error, ConfigError), referenced.error
        snapshot = run_program(
            "prod", overrides={f"{P}:target": target, f"{P}:workloads": unreferenced}, secrets=secrets
        )
        assert snapshot.resources


HOSTILE_PASSWORDS = [
    'quote"inside',
    "single'quote",
    "ends-with-backslash\\",
    "\\x41\\x00-literal-escapes",
    "new\nline\nuser evil on nopass ~* &* +@all",
    "spa ce\tand tab",
    "#not-a-comment",
    "ünïcødé-पासवर्ड",
    "$(touch /tmp/pwned)`id`;|&",
    "%2F@:/?#[]",
    "p" * 300,
]


# Two at a time: each password is a Redis user's and a PostgreSQL role's, in both orders.
PAIRS = [
    (HOSTILE_PASSWORDS[i], HOSTILE_PASSWORDS[(i + 1) % len(HOSTILE_PASSWORDS)])
    for i in range(0, len(HOSTILE_PASSWORDS), 2)
]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("first", "second"), PAIRS, ids=range(len(PAIRS)))
def test_any_password_round_trips(target: str, first: str, second: str, tmp_path: Path) -> None:
    secrets = {
        **TEST_SECRETS,
        "redisPassword": first,
        "redisMonitorPassword": second,
        "postgresPassword": second,
        "postgresExporterPassword": first,
    }
    overrides = {f"{P}:workloads": {"redis": {"storage": {"mountPath": REDIS_DATA}}}}
    files = rendered_all(target, ("redis", "postgres", "api"), overrides, secrets)
    broker = files["redis"]
    with redis(broker.files, broker.command, REDIS_DATA, tmp_path / "redis.log") as server:

        def login(user: str, password: str) -> redis_py.Redis:
            return redis_py.Redis(host="127.0.0.1", port=server.port, username=user, password=password)

        observer = login("observer", server.observer_password)
        assert {u.decode() for u in observer.execute_command("ACL", "USERS")} == {
            "default",
            REDIS_APP_USER,
            REDIS_MONITOR_USER,
            "observer",
        }
        assert login(REDIS_APP_USER, first).ping()
        assert login(REDIS_MONITOR_USER, second).ping()
        near_misses = {first.replace("\\x41", "A"), first.strip(), first + "\n", second, "evil", ""}
        for near_miss in near_misses - {first}:
            with pytest.raises(redis_py.exceptions.AuthenticationError):
                login(REDIS_APP_USER, near_miss).ping()
        # The URL the application gets, read by redis-py's own parser, reaches the server.
        url = files["api"].env["REDIS_URL"]
        assert redis_py.Redis.from_url(url.replace("@redis:6379/", f"@127.0.0.1:{server.port}/")).ping()

    pg = files["postgres"]
    with postgres(pg.files, pg.command, pg.env, pg.files[PG_ROLES_FILE], tmp_path / "pg.log") as database:
        assert database.sql("SELECT current_user", "shiksha", second, "shiksha").stdout.strip() == "shiksha"
        assert database.sql("SELECT 1", "shiksha", second + "x", "shiksha", check=False).returncode != 0
        if target == "kubernetes":
            exporter = database.sql("SELECT current_user", PG_EXPORTER_ROLE, first, "shiksha")
            assert exporter.stdout.strip() == PG_EXPORTER_ROLE
        # libpq's own URL parser reads the DATABASE_URL the application gets.
        url = files["api"].env["DATABASE_URL"]
        local = url.replace("@postgres:5432/", f"@127.0.0.1:{database.port}/")
        assert database.sql_url("SELECT current_user", local).strip() == "shiksha"
