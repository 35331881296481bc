"""What a datastore tells the registry about itself: one `Datastore` value per module.

Every field answers one question the rest of the estate asks (which workloads are its
roles, which image they run, which secrets exist and when they are needed, what a client
gets in its environment, which files a role mounts, which exporter reads it, which alerts
watch it). The modules fill it in; registry.py asks all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components.config.workloads import WorkloadSpec
from components.secret_text import SecretText

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.monitoring import AlertRule, AlertThresholds


@dataclass(frozen=True)
class Files:
    """Files mounted read-only at `mount_path` (a ConfigMap, or a Secret when `secret`,
    then every value is a SecretText recipe): the targets turn them into their own kind."""

    name: str
    mount_path: str
    files: Mapping[str, str | SecretText]
    secret: bool = False


@dataclass(frozen=True)
class Exporter:
    """The exporter that gives a datastore's alerts their series (Kubernetes monitoring).

    Deployed while `monitoring.exporters.<toggle>` is on and `subject` is enabled; its image
    is `monitoring.images.<workload with '_' for '-'>`."""

    toggle: str
    workload: str
    port_name: str
    port: int
    subject: str
    env: Callable[[EstateConfig], dict[str, str]]
    # Environment variable -> the estate secret it carries.
    secret_env: Mapping[str, str]

    @property
    def image_field(self) -> str:
        return self.workload.replace("-", "_")


@dataclass(frozen=True)
class Wired:
    """What a datastore role needs beyond its spec: its spec with the command, arguments and
    environment the estate sets, and its files."""

    spec: WorkloadSpec
    files: list[Files]


@dataclass(frozen=True)
class Datastore:
    name: str
    # The key of images.pinned every role runs, and its production reference.
    image: str
    pinned_image: str
    # Workload name -> what it is. A workload reaches one by naming it in `connectsTo`.
    roles: Mapping[str, str]
    # The production workloads of the roles (deep-merged under the stack config).
    default_workloads: Mapping[str, Mapping[str, Any]]
    # Every secret key this datastore may use, and those the given estate needs (key -> why).
    secret_keys: tuple[str, ...]
    required_secrets: Callable[[EstateConfig], dict[str, str]]
    # Adds what a workload with `connectsTo: [role]` gets (SecretText recipes) to its env.
    add_client_env: Callable[[str, EstateConfig, dict[str, SecretText]], None]
    # A role's own command, arguments and files.
    wire: Callable[[str, EstateConfig, WorkloadSpec], Wired]
    alert_rules: Callable[[AlertThresholds, str], list[AlertRule]]
    # Cross-reference problems of a field-valid estate: (config key, message).
    problems: Callable[[EstateConfig], list[tuple[str, str]]]
    exporters: tuple[Exporter, ...] = ()
    # Plain (not secret) environment a client workload gets with `connectsTo: [role]`, by
    # (client, role, config): its pool sizes, say.
    client_settings: Callable[[str, str, EstateConfig], dict[str, str]] = lambda *_: {}
    # For a datastore whose clients differ by workload (an ACL user per client): used instead
    # of add_client_env, and also given the client workload's name.
    add_workload_client_env: Callable[[str, str, EstateConfig, dict[str, SecretText]], None] | None = None
    # Secret keys made per client workload: `<prefix><workload, '-' as '_'>` (the prefixes).
    secret_key_prefixes: tuple[str, ...] = ()
    # Roles whose `connectsTo` is replication intent (network only): no client credentials.
    replication_roles: frozenset[str] = frozenset()
    # docker-host: the image's ENTRYPOINT (DockerHost wraps it to write config files first),
    # default health checks and /dev/shm sizes per role, and the secrets a container's own
    # tools read from its environment (env var -> secret key, per role).
    image_entrypoint: tuple[str, ...] = ("docker-entrypoint.sh",)
    docker_healthchecks: Mapping[str, list[str]] = field(default_factory=dict)
    docker_shm_mb: Mapping[str, int] = field(default_factory=dict)
    container_secret_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def first_port(config: EstateConfig, workload: str) -> int:
    """The workload's main port: the first of its ports."""
    return next(iter(config.workloads[workload].ports.values()))
