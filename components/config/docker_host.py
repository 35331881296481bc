"""The single-host Docker target: one machine runs the estate's containers behind NGINX."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictInt, model_validator

from components.datastores import settings as datastores

from .base import StrictModel
from .images import PinnedImage
from .types import (
    AbsolutePath,
    CpuQuantity,
    Dns1035Label,
    DnsLabel,
    IpAddress,
    MemoryQuantity,
    Port,
    PositiveInt32,
    Text,
    fullmatch,
)

# Addresses written into nginx.conf (`server`, `resolver`): a host name, an IPv4 address or
# a bracketed IPv6 address, then the port. Whole-string matches, ASCII digits only.
_HOST_PORT = re.compile(
    r"(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[(?P<ipv6>[0-9a-fA-F:.]+)\])"
    r"(:(?P<port>[0-9]{1,5}))?",
    re.ASCII,
)


def _host_port(value: str, port_required: bool) -> str:
    match = _HOST_PORT.fullmatch(value)
    if not match or (port_required and match.group("port") is None):
        raise ValueError(
            "expected host:port (an upstream needs an explicit port), such as api:8000"
            if port_required
            else "expected an address such as 127.0.0.11, 127.0.0.11:53, [fd00::53] or dns.internal"
        )
    if match.group("ipv6") is not None:
        try:
            ipaddress.IPv6Address(match.group("ipv6"))
        except ValueError:
            raise ValueError(f"{match.group('ipv6')!r} is not an IPv6 address") from None
    if match.group("port") is not None and not 1 <= int(match.group("port")) <= 65535:
        raise ValueError(f"port {match.group('port')} is not a TCP port (1-65535)")
    return value


def _check_upstream(value: str) -> str:
    return _host_port(value, port_required=True)


def _check_resolver(value: str) -> str:
    return _host_port(value, port_required=False)


def _check_healthcheck(value: list[str]) -> list[str]:
    # Docker's test forms; anything else the daemon refuses when the container is created.
    if not value or value[0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise ValueError("expected ['CMD', program, args...], ['CMD-SHELL', command] or ['NONE']")
    if value[0] == "CMD-SHELL" and len(value) != 2:
        raise ValueError("CMD-SHELL takes exactly one command string")
    if value[0] == "CMD" and len(value) < 2:
        raise ValueError("CMD takes a program and its arguments")
    if any("\x00" in item for item in value):
        raise ValueError("a NUL character cannot be passed to a process")
    return value


Upstream = Annotated[str, AfterValidator(_check_upstream)]
Resolver = Annotated[str, AfterValidator(_check_resolver)]
HealthcheckTest = Annotated[list[Text], AfterValidator(_check_healthcheck)]


# The ENTRYPOINT of images whose command DockerHost wraps (to write config files first)
# when the workload keeps the image's own command.
IMAGE_ENTRYPOINTS = datastores.image_entrypoints()

HealthTool = Literal["curl", "node", "python"]


def _health_tools() -> dict[str, HealthTool]:
    return {"backend": "curl", "frontend": "node", "vllm": "python"}


# Upper bounds below: what NGINX parses and can allocate, with room to spare; a value
# past them is a typo, not a tuning.
NginxSeconds = Annotated[StrictInt, Field(ge=1, le=99999)]


class ThreadPool(StrictModel):
    name: Annotated[
        str, fullmatch(r"[A-Za-z0-9_]+", "an NGINX thread pool name: letters, digits, '_'", 64)
    ] = "default"
    threads: Annotated[StrictInt, Field(ge=1, le=1024)] = 32
    max_queue: Annotated[StrictInt, Field(ge=1, le=2**20)] = 65536


class OpenFileCache(StrictModel):
    max: Annotated[StrictInt, Field(ge=1, le=10**7)] = 10000
    inactive_seconds: NginxSeconds = 30
    valid_seconds: NginxSeconds = 60
    min_uses: Annotated[StrictInt, Field(ge=1, le=10**6)] = 2


class NginxSettings(StrictModel):
    """NGINX-only tuning; the edge intent itself (routes, headers, limits, TLS) is `edge`."""

    image: PinnedImage = "docker.io/nginxinc/nginx-unprivileged:1.27.2-bookworm"
    worker_processes: Literal["auto"] | Annotated[StrictInt, Field(ge=1, le=1024)] = "auto"
    # Linux's default per-process ceiling (fs.nr_open); Docker cannot raise nofile past it.
    worker_rlimit_nofile: Annotated[StrictInt, Field(ge=1, le=2**20)] = 65535
    worker_connections: Annotated[StrictInt, Field(ge=1, le=2**20)] = 4096
    thread_pool: ThreadPool = ThreadPool()
    gzip_level: Annotated[StrictInt, Field(ge=1, le=9)] = 5
    gzip_min_length: Annotated[StrictInt, Field(ge=0, le=2**30)] = 256
    open_file_cache: OpenFileCache = OpenFileCache()
    keepalive_timeout_seconds: NginxSeconds = 65
    # Idle connections kept per upstream and worker; NGINX allocates them all at start.
    upstream_keepalive: Annotated[StrictInt, Field(ge=1, le=65535)] = 32
    # Per-server (virtual host) concurrent connection cap, next to the per-client one of edge.
    connections_per_server: Annotated[StrictInt, Field(ge=1, le=65535)] = 10000
    # 127.0.0.11 is Docker's embedded DNS on user-defined networks: OCSP lookups go through it.
    resolvers: list[Resolver] = Field(default_factory=lambda: ["127.0.0.11"], min_length=1, max_length=16)
    resolver_valid_seconds: NginxSeconds = 300
    blocked_status: Annotated[StrictInt, Field(ge=400, le=499)] = 403
    # Requests whose Host/SNI is none of edge.hosts are refused instead of served.
    reject_unknown_hosts: bool = True
    # Explicit upstream addresses (workload name -> host:port) instead of the container's
    # name and port on the Docker network, e.g. for an API that runs elsewhere.
    upstreams: dict[Dns1035Label, Upstream] = Field(default_factory=dict)
    # The host directory holding tls.crt, tls.key and chain.crt (written by certbot or the like).
    tls_directory: AbsolutePath = "/etc/shiksha-setu/tls"
    memory: MemoryQuantity = "256Mi"
    cpus: CpuQuantity = "1"


class DockerHostSpec(StrictModel):
    # Docker daemon address (unix:// or ssh://); the local daemon when unset.
    host: (
        Annotated[
            str, fullmatch(r"(unix|ssh|tcp)://[!-~]+", "a Docker daemon address (unix://, ssh:// or tcp://)")
        ]
        | None
    ) = None
    name_prefix: DnsLabel = "shiksha"
    restart: Literal["unless-stopped", "always", "on-failure"] = "unless-stopped"
    # Published entry points of the NGINX container (the only container published beyond loopback).
    http_port: Port = 80
    https_port: Port = 443
    bind_address: IpAddress = "0.0.0.0"  # noqa: S104 (the edge is meant to be reachable)
    # Workload -> host port, published for host-local admin tools, always on 127.0.0.1 only.
    # Off by default: `docker exec` reaches the datastores without any published port.
    loopback_ports: dict[Dns1035Label, Port] = Field(default_factory=dict)
    # How each image checks its own HTTP health (frontend images have node, not curl).
    http_health_tool: dict[DnsLabel, HealthTool] = Field(default_factory=_health_tools)
    # Docker health checks that replace the probe-derived one, per workload: Docker's own
    # form, ["CMD", program, args...], ["CMD-SHELL", "a shell command"] or ["NONE"].
    # By default a datastore's own check (components/datastores/).
    healthchecks: dict[Dns1035Label, HealthcheckTest] = Field(default_factory=datastores.docker_healthchecks)
    tmpfs_size: MemoryQuantity = "64Mi"
    # Writable paths too big or too valuable for a tmpfs: named volumes instead, per workload.
    # Model weights and the Hugging Face cache are gigabytes and must survive restarts.
    volume_paths: dict[Dns1035Label, list[AbsolutePath]] = Field(
        default_factory=lambda: {"vllm": ["/models", "/cache"]}
    )
    # /dev/shm in MiB, per workload (Docker's default is 64 MiB); by default what a datastore needs.
    shm_size_mb: dict[Dns1035Label, PositiveInt32] = Field(default_factory=datastores.docker_shm_sizes)
    log_max_size: Annotated[str, fullmatch(r"[1-9][0-9]{0,8}[kmg]", "a log size such as 10m (k, m or g)")] = (
        "10m"
    )
    log_max_files: PositiveInt32 = 5
    nginx: NginxSettings = NginxSettings()

    @model_validator(mode="after")
    def _distinct_ports(self) -> DockerHostSpec:
        published = [self.http_port, self.https_port, *self.loopback_ports.values()]
        if len(set(published)) != len(published):
            raise ValueError(
                f"httpPort, httpsPort and loopbackPorts publish one host port twice: {sorted(published)}"
            )
        return self
