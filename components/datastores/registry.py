"""The datastores the estate runs, and the questions everyone else asks about them.

Outside components/datastores/ no module names a datastore: the config model, the secrets,
the wiring, the monitoring and the docker host ask here (which role is this workload,
what does a client of it get, which secrets and exporters exist, which images are
datastore images). Adding a datastore is one module with a `DATASTORE` value, one entry
in DATASTORES and, if it has settings, one base class of `Settings` (docs/datastores.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.config.workloads import ComputeResources, ProbeSpec, ProbesSpec, ResourcesSpec, WorkloadSpec
from components.secret_text import SecretText, secret

from . import postgres, redis
from .base import Datastore, Exporter, Wired

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.monitoring import AlertRule, AlertThresholds

# In this order everywhere: secret keys, exporters, alert rules, default workloads.
DATASTORES: list[Datastore] = [postgres.DATASTORE, redis.DATASTORE]

# The roles the application's own workloads name in `connectsTo`.
DATABASE = postgres.PRIMARY
READ_REPLICA = postgres.REPLICA
BROKER = redis.BROKER
CACHE = redis.CACHE


# The model's datastore keys. Base classes: the field order of EstateConfig is the reverse
# of this list (pydantic collects fields from the last base first).
class Settings(redis.Settings, postgres.Settings):
    """Every datastore's settings (`postgres`, `redis`, `redisCache`)."""


class ExporterToggles(redis.ExporterToggle, postgres.ExporterToggle):
    """`monitoring.exporters.<datastore>`: one switch per datastore exporter."""


class ExporterImages(redis.ExporterImage, postgres.ExporterImage):
    """`monitoring.images.<exporter>`: the pinned image of each datastore exporter."""


def datastore_of(workload: str) -> Datastore | None:
    """The datastore whose role `workload` is, or None for any other workload."""
    return next((d for d in DATASTORES if workload in d.roles), None)


def roles() -> dict[str, str]:
    """Every datastore role: workload name -> what it is."""
    return {role: what for d in DATASTORES for role, what in d.roles.items()}


def role_images() -> dict[str, str]:
    """Datastore role -> the key of images.pinned it must run."""
    return {role: d.image for d in DATASTORES for role in d.roles}


def pinned_images() -> dict[str, str]:
    """The datastores' images.pinned entries of the production estate."""
    return {d.image: d.pinned_image for d in DATASTORES}


def image_entrypoints() -> dict[str, list[str]]:
    """Datastore image key -> its ENTRYPOINT (docker-host wraps it to write files first)."""
    return {d.image: list(d.image_entrypoint) for d in DATASTORES}


def default_workloads() -> dict[str, dict[str, object]]:
    """The datastores' production workloads, in registry order."""
    return {role: dict(spec) for d in DATASTORES for role, spec in d.default_workloads.items()}


def secret_keys() -> tuple[str, ...]:
    """Every secret key any datastore may use."""
    return tuple(key for d in DATASTORES for key in d.secret_keys)


def required_secrets(config: EstateConfig) -> dict[str, str]:
    """Secret key -> what needs it, for the datastores this estate runs."""
    return {key: why for d in DATASTORES for key, why in d.required_secrets(config).items()}


def takes_client_credentials(workload: str) -> bool:
    """False for a role whose `connectsTo` is replication intent (a read replica's primary)."""
    store = datastore_of(workload)
    return store is None or workload not in store.replication_roles


def secret_key_prefixes() -> tuple[str, ...]:
    return tuple(prefix for d in DATASTORES for prefix in d.secret_key_prefixes)


def is_secret_key(key: str) -> bool:
    """A datastore's secret key: a fixed one, or one made per client workload."""
    return key in secret_keys() or any(
        key.startswith(prefix) and len(key) > len(prefix) for prefix in secret_key_prefixes()
    )


def add_client_env(target: str, config: EstateConfig, env: dict[str, SecretText], client: str) -> bool:
    """Adds what workload `client` with `connectsTo: [target]` gets; False if target is no datastore."""
    store = datastore_of(target)
    if store is None:
        return False
    if store.add_workload_client_env is not None:
        store.add_workload_client_env(target, client, config, env)
    else:
        store.add_client_env(target, config, env)
    return True


def client_settings(client: str, target: str, config: EstateConfig) -> dict[str, str]:
    """The plain environment `client` gets for its `connectsTo: [target]` (none for a workload
    that is no datastore role)."""
    store = datastore_of(target)
    return store.client_settings(client, target, config) if store is not None else {}


def wire(workload: str, config: EstateConfig, spec: WorkloadSpec) -> Wired | None:
    """A datastore role's command, arguments and files; None for any other workload."""
    store = datastore_of(workload)
    return store.wire(workload, config, spec) if store is not None else None


def problems(config: EstateConfig) -> list[tuple[str, str]]:
    """The datastores' own cross-reference problems: (config key, message)."""
    return [problem for d in DATASTORES for problem in d.problems(config)]


def alert_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    """The `datastores` alert group."""
    return [rule for d in DATASTORES for rule in d.alert_rules(t, namespace)]


def task_queue_depth() -> str:
    """PromQL: the messages waiting per Celery queue (label `queue_name`), from the broker's
    exporter (the `task-queue` alert group)."""
    return redis.queue_depth_expr()


def exporters() -> list[Exporter]:
    return [e for d in DATASTORES for e in d.exporters]


def exporter_table() -> dict[str, tuple[str, str, int, str | None]]:
    """Field of monitoring.exporters -> (workload, port name, port, workload it reads)."""
    return {e.toggle: (e.workload, e.port_name, e.port, e.subject) for e in exporters()}


def exporter_specs(config: EstateConfig, component: str) -> dict[str, WorkloadSpec]:
    """Exporter workload name -> spec, for the datastore exporters switched on whose subject
    is deployed (Kubernetes monitoring)."""
    enabled = config.enabled_workloads
    small = ResourcesSpec(
        requests=ComputeResources(cpu="25m", memory="32Mi"),
        limits=ComputeResources(cpu="200m", memory="128Mi"),
    )
    return {
        e.workload: WorkloadSpec(
            component=component,
            image=e.workload,
            replicas=1,
            ports={e.port_name: e.port},
            env=e.env(config),
            connects_to=[e.subject],
            resources=small,
            probes=ProbesSpec(
                readiness=ProbeSpec(tcp=True, port=e.port_name),
                liveness=ProbeSpec(tcp=True, port=e.port_name, period_seconds=20),
            ),
        )
        for e in exporters()
        if getattr(config.monitoring.exporters, e.toggle) and e.subject in enabled
    }


def exporter_images(images: object) -> dict[str, str]:
    """Exporter workload -> its pinned image, from `monitoring.images`."""
    return {e.workload: getattr(images, e.image_field) for e in exporters()}


def exporter_secret_env(workload: str) -> dict[str, SecretText]:
    """The secrets an exporter reads from its environment (none for other workloads)."""
    return {
        var: secret(key) for e in exporters() if e.workload == workload for var, key in e.secret_env.items()
    }


def docker_healthchecks() -> dict[str, list[str]]:
    """dockerHost.healthchecks defaults: a datastore role's own check."""
    return {role: list(test) for d in DATASTORES for role, test in d.docker_healthchecks.items()}


def docker_shm_sizes() -> dict[str, int]:
    """dockerHost.shmSizeMb defaults, in MiB."""
    return {role: size for d in DATASTORES for role, size in d.docker_shm_mb.items()}


def container_secret_env(workload: str) -> Mapping[str, str]:
    """Env var -> secret key that a datastore container's own tools read (docker-host)."""
    store = datastore_of(workload)
    return store.container_secret_env.get(workload, {}) if store is not None else {}
