"""A container as plain data: what DockerHost turns into one pulumi-docker Container.

Secret values stay recipes here (SecretText, or a DerivedSecret computed from one
secret); DockerHost resolves them from Pulumi secret config into secret Outputs.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from components.config.types import cpu_millicores, memory_bytes
from components.plan.volumes import Volume
from components.values.secret_text import SecretText


@dataclass(frozen=True)
class DerivedSecret:
    """A value computed from one estate secret by a pure function (nginx's origin-auth map)."""

    key: str
    render: Callable[[str], str]


SecretValue = SecretText | DerivedSecret


@dataclass(frozen=True)
class Healthcheck:
    tests: list[str]
    interval: str
    timeout: str
    start_period: str
    retries: int
    # Frequent checks while starting, so a ready service is marked healthy quickly.
    start_interval: str = "2s"

    @property
    def enabled(self) -> bool:
        """False for Docker's ["NONE"] (dockerHost.healthchecks may switch the check off)."""
        return self.tests[:1] != ["NONE"]

    def budget_seconds(self) -> int:
        """How long Docker takes at most to call a new container unhealthy: the start period,
        then `retries` failed checks each waiting out its interval and timeout."""
        start, interval, timeout = (
            int(v.removesuffix("s")) for v in (self.start_period, self.interval, self.timeout)
        )
        return start + self.retries * (interval + timeout)


@dataclass(frozen=True)
class BindMount:
    host_path: str
    container_path: str
    read_only: bool = True


@dataclass(frozen=True)
class Upload:
    """A secret file copied into a volume before the container starts (never in the env)."""

    file: str
    content: SecretText
    owner: str
    group: str
    permissions: str = "0400"


@dataclass(frozen=True)
class Port:
    internal: int
    external: int
    ip: str


@dataclass
class ContainerSpec:
    # The resource name (a URN part, so stable) and the container's name on the host.
    resource_name: str
    name: str
    hostname: str
    # The image reference, or with `image_is_key` a key of the stack's image references.
    image: str
    image_is_key: bool
    pull_key: str
    entrypoints: list[str] | None
    command: list[str] | None
    env: dict[str, str]
    secret_env: dict[str, SecretValue]
    user: str
    read_only: bool
    tmpfs: dict[str, str]
    memory_mb: int
    memory_reservation_mb: int | None
    cpus: str
    healthcheck: Healthcheck
    restart: str
    stop_timeout: int
    labels: dict[str, str]
    networks: list[str]
    log_opts: dict[str, str]
    max_retry_count: int | None = None
    gpus: str | None = None
    shm_size: int | None = None
    ulimit_nofile: int | None = None
    stop_signal: str | None = None
    destroy_grace_seconds: int | None = None
    ports: list[Port] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    bind_mounts: list[BindMount] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    # Containers (by resource name) that must exist before this one starts.
    depends_on: list[str] = field(default_factory=list)
    # Create-before-delete: the replacement starts (under a fresh name, reachable by the same
    # network alias) and must pass its health check before the old container is removed.
    # False keeps delete-before-replace: a datastore, a singleton, data on named volumes, a GPU
    # or a published host port must not be shared by two containers at once.
    rolling: bool = False


def rolling_update_allowed(exclusive: bool, spec: ContainerSpec) -> bool:
    """Whether two containers of `spec` may overlap while one replaces the other.
    `exclusive`: the workload itself must never run twice (a datastore, a singleton, a
    StatefulSet), whatever its container looks like."""
    return not (
        exclusive
        or any(v.persistent for v in spec.volumes)
        or spec.ports
        or spec.gpus is not None
        or not spec.healthcheck.enabled
    )


def mb(quantity: str) -> int:
    return max(6, memory_bytes(quantity) // 2**20)


def cpus(quantity: str) -> str:
    return f"{cpu_millicores(quantity) / 1000:g}"


def tmpfs_options(size: str) -> str:
    """Every tmpfs of the target: writable, but nothing on it executes or is a device."""
    return f"rw,noexec,nosuid,nodev,size={mb(size)}m"


@dataclass
class WrittenFiles:
    """Files written into tmpfs directories at container start, from environment variables
    (a read-only root filesystem takes no copied-in config files)."""

    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, SecretValue] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)

    def add(self, directory: str, files: Mapping[str, str]) -> None:
        self.directories.append(directory)
        for filename, content in files.items():
            self.env[self._line(directory, filename)] = content

    def add_secret(self, directory: str, filename: str, content: SecretValue) -> None:
        self.directories.append(directory)
        self.secret_env[self._line(directory, filename)] = content

    def _line(self, directory: str, filename: str) -> str:
        var = f"SHIKSHA_FILE_{len(self.env) + len(self.secret_env)}"
        self.lines.append(f'printf "%s" "${var}" > {shlex.quote(f"{directory}/{filename}")}')
        return var

    def wrap(self, command: Sequence[str]) -> tuple[list[str], list[str]]:
        """(entrypoints, command): write the files, drop their variables, exec the command."""
        names = " ".join(sorted([*self.env, *self.secret_env]))
        script = " && ".join([*self.lines, f"unset {names}", 'exec "$@"'])
        return ["/bin/sh", "-c", script, "sh"], list(command)
