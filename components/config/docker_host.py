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
    ] = Field(
        "default", description=("the name of NGINX's thread_pool that serves static files with aio threads")
    )
    threads: Annotated[StrictInt, Field(ge=1, le=1024)] = Field(
        32, description="threads in that pool (thread_pool threads=)"
    )
    max_queue: Annotated[StrictInt, Field(ge=1, le=2**20)] = Field(
        65536,
        description=("tasks that may wait for a thread before NGINX refuses more (thread_pool max_queue=)"),
    )


class OpenFileCache(StrictModel):
    max: Annotated[StrictInt, Field(ge=1, le=10**7)] = Field(
        10000, description=("file descriptors and metadata NGINX keeps cached (open_file_cache max=)")
    )
    inactive_seconds: NginxSeconds = Field(
        30, description=("an unused cached file is dropped after this long (open_file_cache inactive=)")
    )
    valid_seconds: NginxSeconds = Field(
        60, description="how often NGINX rechecks a cached file (open_file_cache_valid)"
    )
    min_uses: Annotated[StrictInt, Field(ge=1, le=10**6)] = Field(
        2, description=("uses within the inactive time that keep a file cached (open_file_cache_min_uses)")
    )


class NginxSettings(StrictModel):
    """NGINX-only tuning; the edge intent itself (routes, headers, limits, TLS) is `edge`."""

    image: PinnedImage = Field(
        "docker.io/nginxinc/nginx-unprivileged:1.27.2-bookworm",
        description="the pinned image of the docker-host NGINX edge container",
    )
    worker_processes: Literal["auto"] | Annotated[StrictInt, Field(ge=1, le=1024)] = Field(
        "auto", description=("nginx.conf worker_processes: NGINX worker processes, auto = one per CPU")
    )
    # Linux's default per-process ceiling (fs.nr_open); Docker cannot raise nofile past it.
    worker_rlimit_nofile: Annotated[StrictInt, Field(ge=1, le=2**20)] = Field(
        65535,
        description=(
            "nginx.conf worker_rlimit_nofile and the container's nofile ulimit: open files per worker"
        ),
    )
    worker_connections: Annotated[StrictInt, Field(ge=1, le=2**20)] = Field(
        4096,
        description=(
            "nginx.conf worker_connections: simultaneous connections per worker (clients and upstreams)"
        ),
    )
    thread_pool: ThreadPool = Field(ThreadPool(), description="nginx.conf's thread_pool for file reads")
    gzip_level: Annotated[StrictInt, Field(ge=1, le=9)] = Field(
        5, description=("nginx.conf gzip_comp_level for compressed responses (1 fastest, 9 smallest)")
    )
    gzip_min_length: Annotated[StrictInt, Field(ge=0, le=2**30)] = Field(
        256,
        description=("nginx.conf gzip_min_length: bodies shorter than this many bytes are sent uncompressed"),
    )
    open_file_cache: OpenFileCache = Field(
        OpenFileCache(), description="nginx.conf's open_file_cache for static files"
    )
    keepalive_timeout_seconds: NginxSeconds = Field(
        65, description=("nginx.conf keepalive_timeout: how long an idle client connection stays open")
    )
    # Idle connections kept per upstream and worker; NGINX allocates them all at start.
    upstream_keepalive: Annotated[StrictInt, Field(ge=1, le=65535)] = Field(
        32,
        description=("nginx.conf keepalive in each upstream block: idle backend connections kept per worker"),
    )
    # Per-server (virtual host) concurrent connection cap, next to the per-client one of edge.
    connections_per_server: Annotated[StrictInt, Field(ge=1, le=65535)] = Field(
        10000, description=("limit_conn conn_per_server: concurrent connections to the whole virtual host")
    )
    # 127.0.0.11 is Docker's embedded DNS on user-defined networks: OCSP lookups go through it.
    resolvers: list[Resolver] = Field(
        default_factory=lambda: ["127.0.0.11"],
        min_length=1,
        max_length=16,
        description=("nginx.conf resolver: the DNS servers NGINX asks (OCSP stapling lookups)"),
    )
    resolver_valid_seconds: NginxSeconds = Field(
        300, description="resolver valid=: how long NGINX caches a DNS answer"
    )
    blocked_status: Annotated[StrictInt, Field(ge=400, le=499)] = Field(
        403, description="the status NGINX returns for edge.blockedPaths"
    )
    # Requests whose Host/SNI is none of edge.hosts are refused instead of served.
    reject_unknown_hosts: bool = Field(
        True,
        description=(
            "true: a default server refuses requests whose Host/SNI is not in "
            "edge.hosts; false: the edge server is the default"
        ),
    )
    # Explicit upstream addresses (workload name -> host:port) instead of the container's
    # name and port on the Docker network, e.g. for an API that runs elsewhere.
    upstreams: dict[Dns1035Label, Upstream] = Field(
        default_factory=dict,
        description=(
            "workload -> host:port NGINX proxies that route backend to, instead of "
            "the workload's container on the Docker network"
        ),
        examples=[{"api": "10.0.0.12:8000"}],
    )
    # The host directory holding tls.crt, tls.key and chain.crt (written by certbot or the like).
    tls_directory: AbsolutePath = Field(
        "/etc/shiksha-setu/tls",
        description=(
            "the host directory mounted read-only into the NGINX container with "
            "tls.crt, tls.key and chain.crt"
        ),
    )
    memory: MemoryQuantity = Field("256Mi", description="the NGINX container's memory limit")
    cpus: CpuQuantity = Field("1", description="the NGINX container's CPU limit")


class DockerHostSpec(StrictModel):
    # Docker daemon address (unix:// or ssh://); the local daemon when unset.
    host: (
        Annotated[
            str, fullmatch(r"(unix|ssh|tcp)://[!-~]+", "a Docker daemon address (unix://, ssh:// or tcp://)")
        ]
        | None
    ) = Field(
        None,
        description=("the Docker daemon the provider drives (unix:// or ssh://); unset: the local daemon"),
        examples=["ssh://deploy@edge-1.example.org"],
    )
    name_prefix: DnsLabel = Field(
        "shiksha", description=("prefix of every container, volume and network name (<prefix>-<workload>)")
    )
    restart: Literal["unless-stopped", "always", "on-failure"] = Field(
        "unless-stopped", description="every container's Docker restart policy (on-failure retries 5 times)"
    )
    # Published entry points of the NGINX container (the only container published beyond loopback).
    http_port: Port = Field(
        80, description="the host port published for NGINX's HTTP listener (redirects to HTTPS)"
    )
    https_port: Port = Field(443, description="the host port published for NGINX's HTTPS listener")
    bind_address: IpAddress = Field(
        "0.0.0.0",  # noqa: S104 (the edge is meant to be reachable)
        description=("the host address NGINX's two ports are published on (0.0.0.0: every interface)"),
    )
    # Workload -> host port, published for host-local admin tools, always on 127.0.0.1 only.
    # Off by default: `docker exec` reaches the datastores without any published port.
    loopback_ports: dict[Dns1035Label, Port] = Field(
        default_factory=dict,
        description=(
            "workload -> host port, publishing its first port on 127.0.0.1 only for"
            " admin tools; none by default"
        ),
        examples=[{"api": 18000}],
    )
    # How each image checks its own HTTP health (frontend images have node, not curl).
    http_health_tool: dict[DnsLabel, HealthTool] = Field(
        default_factory=_health_tools,
        description=("image key -> the program (curl, node, python) its containers' HTTP health check runs"),
    )
    # Docker health checks that replace the probe-derived one, per workload: Docker's own
    # form, ["CMD", program, args...], ["CMD-SHELL", "a shell command"] or ["NONE"].
    # By default a datastore's own check (components/datastores/).
    healthchecks: dict[Dns1035Label, HealthcheckTest] = Field(
        default_factory=datastores.docker_healthchecks,
        description=("workload -> a Docker health check test replacing the one derived from its probes"),
    )
    tmpfs_size: MemoryQuantity = Field(
        "64Mi", description="size of each tmpfs mounted at a workload's writablePaths (and NGINX's)"
    )
    # Writable paths too big or too valuable for a tmpfs: named volumes instead, per workload.
    # Model weights and the Hugging Face cache are gigabytes and must survive restarts.
    volume_paths: dict[Dns1035Label, list[AbsolutePath]] = Field(
        default_factory=lambda: {"vllm": ["/models", "/cache"]},
        description=(
            "workload -> writable paths backed by named Docker volumes instead of "
            "tmpfs (data that must survive a restart)"
        ),
    )
    # /dev/shm in MiB, per workload (Docker's default is 64 MiB); by default what a datastore needs.
    shm_size_mb: dict[Dns1035Label, PositiveInt32] = Field(
        default_factory=datastores.docker_shm_sizes,
        description="workload -> the container's /dev/shm size in MiB",
    )
    log_max_size: Annotated[str, fullmatch(r"[1-9][0-9]{0,8}[kmg]", "a log size such as 10m (k, m or g)")] = (
        Field("10m", description="every container's json-file log rotation size (log-opts max-size)")
    )
    log_max_files: PositiveInt32 = Field(
        5, description="every container's rotated log files kept (log-opts max-file)"
    )
    nginx: NginxSettings = Field(
        NginxSettings(), description="the docker-host NGINX edge container and its nginx.conf tuning"
    )

    @model_validator(mode="after")
    def _distinct_ports(self) -> DockerHostSpec:
        published = [self.http_port, self.https_port, *self.loopback_ports.values()]
        if len(set(published)) != len(published):
            raise ValueError(
                f"httpPort, httpsPort and loopbackPorts publish one host port twice: {sorted(published)}"
            )
        return self
