"""The datastores the estate runs, and the questions everyone else asks about them.

Outside components/datastores/ no module names a datastore: the secrets, the wiring, the
monitoring, the gate and the docker host ask here (which role is this workload, what does
a client of it get, which secrets and exporters exist, which images are datastore
images). The config model asks settings.py, the leaf below it. Adding a datastore is a
package with a settings module (its `Facts`, in settings.FACTS, and its `Settings`) and a
`DATASTORE` value, one entry in DATASTORES (docs/datastores.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.config.workloads import ComputeResources, ProbeSpec, ProbesSpec, ResourcesSpec, WorkloadSpec
from components.values.secret_text import SecretText, secret

from .base import ClientEnv, Datastore, Wired
from .facts import Exporter
from .postgres.datastore import DATASTORE as POSTGRES
from .redis.acl import queue_depth_expr
from .redis.datastore import DATASTORE as REDIS

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.monitoring import AlertRule, AlertThresholds

# In the order of settings.FACTS: secret keys, exporters, alert rules, default workloads.
DATASTORES: list[Datastore] = [POSTGRES, REDIS]


def datastore_of(workload: str) -> Datastore | None:
    """The datastore whose role `workload` is, or None for any other workload."""
    return next((d for d in DATASTORES if workload in d.facts.roles), None)


def roles() -> dict[str, str]:
    """Every datastore role: workload name -> what it is."""
    return {role: what for d in DATASTORES for role, what in d.facts.roles.items()}


def role_images() -> dict[str, str]:
    """Datastore role -> the key of images.pinned it must run."""
    return {role: d.facts.image for d in DATASTORES for role in d.facts.roles}


def pinned_images() -> dict[str, str]:
    """The datastores' images.pinned entries of the production estate."""
    return {d.facts.image: d.facts.pinned_image for d in DATASTORES}


def default_workloads() -> dict[str, dict[str, object]]:
    """The datastores' production workloads, in registry order."""
    return {role: dict(spec) for d in DATASTORES for role, spec in d.default_workloads.items()}


def required_secrets(config: EstateConfig) -> dict[str, str]:
    """Secret key -> what needs it, for the datastores this estate runs."""
    return {key: why for d in DATASTORES for key, why in d.required_secrets(config).items()}


def takes_client_credentials(workload: str) -> bool:
    """False for a role whose `connectsTo` is replication intent (a read replica's primary)."""
    store = datastore_of(workload)
    return store is None or workload not in store.facts.replication_roles


def add_client_env(target: str, client: str, config: EstateConfig, env: ClientEnv) -> bool:
    """Adds what workload `client` with `connectsTo: [target]` gets; False if target is no datastore."""
    store = datastore_of(target)
    if store is None:
        return False
    store.add_client_env(target, client, config, env)
    return True


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
    return queue_depth_expr()


def _exporters() -> list[tuple[Exporter, Datastore]]:
    return [(e, d) for d in DATASTORES for e in d.facts.exporters]


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
            env=d.exporter_env[e.workload](config),
            connects_to=[e.subject],
            resources=small,
            probes=ProbesSpec(
                readiness=ProbeSpec(tcp=True, port=e.port_name),
                liveness=ProbeSpec(tcp=True, port=e.port_name, period_seconds=20),
            ),
        )
        for e, d in _exporters()
        if getattr(config.monitoring.exporters, e.toggle) and e.subject in enabled
    }


def exporter_images(images: object) -> dict[str, str]:
    """Exporter workload -> its pinned image, from `monitoring.images`."""
    return {e.workload: getattr(images, e.image_field) for e, _ in _exporters()}


def exporter_secret_env(workload: str) -> dict[str, SecretText]:
    """The secrets an exporter reads from its environment (none for other workloads)."""
    return {
        var: secret(key)
        for e, _ in _exporters()
        if e.workload == workload
        for var, key in e.secret_env.items()
    }


def container_secret_env(workload: str) -> Mapping[str, str]:
    """Env var -> secret key that a datastore container's own tools read (docker-host)."""
    store = datastore_of(workload)
    return store.facts.container_secret_env.get(workload, {}) if store is not None else {}
