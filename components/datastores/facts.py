"""What the config model, the secrets and the docker host know of a datastore before any
of its behaviour: one `Facts` value per datastore's settings module, gathered by
settings.py. Plain data; nothing of components/ is imported here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exporter:
    """The exporter that gives a datastore's alerts their series (Kubernetes monitoring).

    Deployed while `monitoring.exporters.<toggle>` is on and `subject` is enabled; its image
    is `monitoring.images.<workload with '_' for '-'>`. Its environment is the datastore's
    behaviour (`Datastore.exporter_env`)."""

    toggle: str
    workload: str
    port_name: str
    port: int
    subject: str
    # Environment variable -> the estate secret it carries.
    secret_env: Mapping[str, str]

    @property
    def image_field(self) -> str:
        return self.workload.replace("-", "_")


@dataclass(frozen=True)
class Facts:
    name: str
    # The key of images.pinned every role runs, and its production reference.
    image: str
    pinned_image: str
    # Workload name -> what it is. A workload reaches one by naming it in `connectsTo`.
    roles: Mapping[str, str]
    # Every secret key this datastore may use.
    secret_keys: tuple[str, ...]
    exporters: tuple[Exporter, ...] = ()
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
