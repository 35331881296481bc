"""PostgreSQL and Redis settings, shared by the Kubernetes and the docker-host targets."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PositiveInt

from .base import StrictModel

_PG_SIZE = re.compile(r"^\d+(kB|MB|GB|TB)$")


def _check_pg_size(value: str) -> str:
    if not _PG_SIZE.match(value) or int(re.sub(r"\D", "", value)) <= 0:
        raise ValueError("expected a positive PostgreSQL size such as 256MB or 1GB (units kB, MB, GB, TB)")
    return value


PgSize = Annotated[str, AfterValidator(_check_pg_size)]


class PostgresTuning(StrictModel):
    """Sized for the 4Gi limit of the production StatefulSet."""

    shared_buffers: PgSize = "1GB"
    effective_cache_size: PgSize = "3GB"
    work_mem: PgSize = "16MB"
    maintenance_work_mem: PgSize = "256MB"
    wal_buffers: PgSize = "16MB"
    max_connections: PositiveInt = 200
    checkpoint_completion_target: float = Field(default=0.9, gt=0, le=1)
    random_page_cost: float = Field(default=1.1, gt=0)
    effective_io_concurrency: int = Field(default=200, ge=0, le=1000)
    max_wal_size: PgSize = "2GB"
    min_wal_size: PgSize = "512MB"


_REDIS_BYTES = re.compile(r"^\d+(kb|mb|gb)$")


def _check_redis_bytes(value: str) -> str:
    if not _REDIS_BYTES.match(value):
        raise ValueError("expected a Redis memory size such as 768mb or 1gb")
    return value


class RedisSettings(StrictModel):
    maxmemory: Annotated[str, AfterValidator(_check_redis_bytes)] = "768mb"
    maxmemory_policy: Literal[
        "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"
    ] = "allkeys-lru"
    appendonly: bool = True
    appendfsync: Literal["always", "everysec", "no"] = "everysec"
    save: list[str] = Field(default_factory=lambda: ["900 1", "300 10", "60 10000"])
