"""The single-host Docker target: one machine runs the estate's containers behind NGINX."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PositiveInt

from .base import AbsolutePath, CpuQuantity, DnsLabel, MemoryQuantity, StrictModel
from .images import PinnedImage

_HOST_PORT = re.compile(
    r"^(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9a-fA-F:.]+\]):(?P<port>\d{1,5})$"
)


def _check_upstream(value: str) -> str:
    match = _HOST_PORT.match(value)
    if not match:
        raise ValueError("expected host:port (an upstream needs an explicit port), such as api:8000")
    if not 1 <= int(match.group("port")) <= 65535:
        raise ValueError(f"port {match.group('port')} is not a TCP port (1-65535)")
    return value


Upstream = Annotated[str, AfterValidator(_check_upstream)]


HealthTool = Literal["curl", "node", "python"]


def _health_tools() -> dict[str, HealthTool]:
    return {"backend": "curl", "frontend": "node", "vllm": "python"}


class ThreadPool(StrictModel):
    name: DnsLabel = "default"
    threads: PositiveInt = 32
    max_queue: PositiveInt = 65536


class OpenFileCache(StrictModel):
    max: PositiveInt = 10000
    inactive_seconds: PositiveInt = 30
    valid_seconds: PositiveInt = 60
    min_uses: PositiveInt = 2


class NginxSettings(StrictModel):
    """NGINX-only tuning; the edge intent itself (routes, headers, limits, TLS) is `edge`."""

    image: PinnedImage = "docker.io/nginxinc/nginx-unprivileged:1.27.2-bookworm"
    worker_processes: Literal["auto"] | PositiveInt = "auto"
    worker_rlimit_nofile: PositiveInt = 65535
    worker_connections: PositiveInt = 4096
    thread_pool: ThreadPool = ThreadPool()
    gzip_level: int = Field(default=5, ge=1, le=9)
    gzip_min_length: int = Field(default=256, ge=0)
    open_file_cache: OpenFileCache = OpenFileCache()
    keepalive_timeout_seconds: PositiveInt = 65
    upstream_keepalive: PositiveInt = 32
    # Per-server (virtual host) concurrent connection cap, next to the per-client one of edge.
    connections_per_server: int = Field(default=10000, ge=1, le=65535)
    # 127.0.0.11 is Docker's embedded DNS on user-defined networks: OCSP lookups go through it.
    resolvers: list[str] = Field(default_factory=lambda: ["127.0.0.11"], min_length=1)
    resolver_valid_seconds: PositiveInt = 300
    blocked_status: int = Field(default=403, ge=400, le=499)
    # Requests whose Host/SNI is none of edge.hosts are refused instead of served.
    reject_unknown_hosts: bool = True
    # Explicit upstream addresses (workload name -> host:port) instead of the container's
    # name and port on the Docker network, e.g. for an API that runs elsewhere.
    upstreams: dict[DnsLabel, Upstream] = Field(default_factory=dict)
    # The host directory holding tls.crt, tls.key and chain.crt (written by certbot or the like).
    tls_directory: AbsolutePath = "/etc/shiksha-setu/tls"
    memory: MemoryQuantity = "256Mi"
    cpus: CpuQuantity = "1"


class DockerHostSpec(StrictModel):
    # Docker daemon address (unix:// or ssh://); the local daemon when unset.
    host: str | None = None
    name_prefix: DnsLabel = "shiksha"
    restart: Literal["unless-stopped", "always", "on-failure"] = "unless-stopped"
    # Published entry points of the NGINX container (the only container published beyond loopback).
    http_port: int = Field(default=80, ge=1, le=65535)
    https_port: int = Field(default=443, ge=1, le=65535)
    bind_address: str = "0.0.0.0"  # noqa: S104 (the edge is meant to be reachable)
    # Workload -> host port, published for host-local admin tools, always on 127.0.0.1 only.
    # Off by default: `docker exec` reaches the datastores without any published port.
    loopback_ports: dict[DnsLabel, int] = Field(default_factory=dict)
    # How each image checks its own HTTP health (frontend images have node, not curl).
    http_health_tool: dict[str, HealthTool] = Field(default_factory=_health_tools)
    # Docker health checks that replace the probe-derived one, per workload.
    healthchecks: dict[DnsLabel, list[str]] = Field(
        # redis-cli reads REDISCLI_AUTH (the monitoring user's), so the check proves the ACL too.
        default_factory=lambda: {"redis": ["CMD-SHELL", "redis-cli --user monitor ping | grep -q PONG"]}
    )
    tmpfs_size: MemoryQuantity = "64Mi"
    # Writable paths too big or too valuable for a tmpfs: named volumes instead, per workload.
    # Model weights and the Hugging Face cache are gigabytes and must survive restarts.
    volume_paths: dict[DnsLabel, list[AbsolutePath]] = Field(
        default_factory=lambda: {"vllm": ["/models", "/cache"]}
    )
    # /dev/shm in MiB, per workload: PostgreSQL's parallel queries use POSIX shared memory
    # and fail on Docker's 64 MiB default.
    shm_size_mb: dict[DnsLabel, PositiveInt] = Field(default_factory=lambda: {"postgres": 256})
    log_max_size: str = Field(default="10m", pattern=r"^\d+[kmg]$")
    log_max_files: PositiveInt = 5
    nginx: NginxSettings = NginxSettings()
