"""Redis's settings: what the config model knows of it (a leaf below the model).

Two roles run the same image: `redis`, the Celery broker and result backend (never
evicts, keeps an append-only file, settings `redis.*`), and `redis-cache`, an optional
cache (may evict, keeps nothing on disk, settings `redisCache.*`). Here are their
settings, ACL user names, secret keys and exporter. Imports only the config base and
value kinds; the behaviour (files, ACL, wiring, checks, alerts) is the rest of this package.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from components.config.base import StrictModel
from components.config.types import PinnedImage
from components.datastores.facts import Exporter, Facts

# Workload names of its roles; a workload reaches one by naming it in `connectsTo`.
BROKER = "redis"
CACHE = "redis-cache"
IMAGE = "redis"

# Redis ACL users of each instance. `default` is switched off.
REDIS_APP_USER = "app"
REDIS_MONITOR_USER = "monitor"

# --- settings (`redis.*`, `redisCache.*`) ---------------------------------------------------

_REDIS_BYTES = re.compile(r"([0-9]{1,12})(kb|mb|gb)")
_SAVE_RULE = re.compile(r"([0-9]{1,9}) ([0-9]{1,9})")


def _check_redis_bytes(value: str) -> str:
    match = _REDIS_BYTES.fullmatch(value)
    if not match or int(match.group(1)) <= 0:
        raise ValueError("expected a positive Redis memory size such as 768mb or 1gb")
    return value


def _check_save_rule(value: str) -> str:
    match = _SAVE_RULE.fullmatch(value)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise ValueError('expected "<seconds> <changes>" with two positive whole numbers, such as "900 1"')
    return value


RedisBytes = Annotated[str, AfterValidator(_check_redis_bytes)]
SaveRule = Annotated[str, AfterValidator(_check_save_rule)]


def _check_broker_policy(value: str) -> str:
    if value != "noeviction":
        raise ValueError(
            "the broker never evicts: an evicted key is a lost Celery task or binding. Use "
            "noeviction here, and the `redis-cache` workload (redisCache.maxmemoryPolicy) for a "
            "cache that may evict"
        )
    return value


class RedisSettings(StrictModel):
    """The Celery broker and result backend: never evicts, keeps an append-only file."""

    # Each value is a directive of the `redis` workload's redis.conf (files.redis_conf).
    maxmemory: RedisBytes = Field(
        default="768mb",
        description="the broker's memory cap (`maxmemory` in its redis.conf): past it, writes "
        "fail instead of evicting; keep it under the container's memory limit",
    )
    maxmemory_policy: Annotated[str, AfterValidator(_check_broker_policy)] = Field(
        default="noeviction",
        description="`maxmemory-policy` in the broker's redis.conf; only noeviction is accepted "
        "(an evicted key is a lost task)",
    )
    appendonly: bool = Field(
        default=True,
        description="`appendonly yes|no` in the broker's redis.conf: queued tasks survive a "
        "restart only with the append-only file",
    )
    appendfsync: Literal["always", "everysec", "no"] = Field(
        default="everysec",
        description="`appendfsync` in the broker's redis.conf: how often the append-only file is "
        "flushed to disk (everysec loses at most a second of writes)",
    )
    # RDB snapshots next to the AOF; an empty list writes `save ""` (no snapshots).
    save: list[SaveRule] = Field(
        default_factory=lambda: ["900 1", "300 10", "60 10000"],
        description="one `save <seconds> <changes>` line each in the broker's redis.conf (RDB "
        'snapshots); an empty list writes `save ""`',
    )


class RedisCacheSettings(StrictModel):
    """The optional cache (`workloads.redis-cache`): may evict, keeps nothing on disk."""

    # Directives of the `redis-cache` workload's redis.conf (files.redis_cache_conf).
    maxmemory: RedisBytes = Field(
        default="256mb",
        description="the cache's memory cap (`maxmemory` in its redis.conf): past it, keys are "
        "evicted by maxmemoryPolicy",
    )
    maxmemory_policy: Literal[
        "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"
    ] = Field(
        default="allkeys-lru",
        description="`maxmemory-policy` in the cache's redis.conf: which keys go at the cap "
        "(noeviction makes writes fail instead)",
    )


class Settings(StrictModel):
    """The estate's `redis` and `redisCache` keys (EstateConfig inherits them: ../settings.py)."""

    redis: RedisSettings = Field(
        default=RedisSettings(),
        description="the redis.conf of the `redis` workload (Celery broker and result backend): "
        "memory cap and persistence",
    )
    redis_cache: RedisCacheSettings = Field(
        default=RedisCacheSettings(),
        description="the redis.conf of the `redis-cache` workload, while it is enabled: memory cap "
        "and eviction",
    )


class ExporterToggle(StrictModel):
    redis: bool = Field(
        default=True,
        description="deploys the `redis-exporter` workload (port 9121, logs in as the broker's "
        "read-only `monitor` ACL user) and its scrape job while `redis` is enabled; the Redis "
        "alerts read its metrics",
    )


class ExporterImage(StrictModel):
    redis_exporter: PinnedImage = Field(
        default="docker.io/oliver006/redis_exporter:v1.62.0",
        description="the container image of the `redis-exporter` workload",
    )


# --- secrets and exporter --------------------------------------------------------------------

SECRET_KEYS = ("redisPassword", "redisMonitorPassword", "redisCachePassword")
# A broker client that is not a Celery client has its own ACL user and password:
# `redisPassword_<workload, '-' as '_'>` (an identifier, so ESO's templates can name it).
WORKLOAD_SECRET_PREFIX = "redisPassword_"  # noqa: S105 (a secret key's prefix, not a password)
# Users of the broker's ACL no workload may be named after.
RESERVED_USERS = frozenset({"default", REDIS_APP_USER, REDIS_MONITOR_USER})


def workload_secret_key(workload: str) -> str:
    return WORKLOAD_SECRET_PREFIX + workload.replace("-", "_")


# The broker's read-only ACL user (INFO, CONFIG GET, SLOWLOG, the queues' lengths).
EXPORTER = Exporter(
    toggle="redis",
    workload="redis-exporter",
    port_name="metrics",
    port=9121,
    subject=BROKER,
    secret_env={"REDIS_PASSWORD": "redisMonitorPassword"},
)

FACTS = Facts(
    name="redis",
    image=IMAGE,
    pinned_image="docker.io/library/redis:7.4.1-bookworm",
    roles={BROKER: "broker", CACHE: "cache"},
    secret_keys=SECRET_KEYS,
    secret_key_prefixes=(WORKLOAD_SECRET_PREFIX,),
    exporters=(EXPORTER,),
    # redis-cli reads REDISCLI_AUTH (the monitoring user's), so the check proves the ACL too.
    docker_healthchecks={BROKER: ["CMD-SHELL", "redis-cli --user monitor ping | grep -q PONG"]},
    container_secret_env={BROKER: {"REDISCLI_AUTH": "redisMonitorPassword"}},
)
