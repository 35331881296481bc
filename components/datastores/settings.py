"""The datastores as the config model sees them: their settings keys, exporter switches
and images, roles, secret keys and docker-host defaults (a leaf below the model).

Each datastore's settings module gives a `Settings` class (its stack-config keys), an
`ExporterToggle`, an `ExporterImage` and its `Facts`. The behaviour above the model asks
registry.py, which reads the same facts from each `Datastore`.
"""

from __future__ import annotations

from .facts import Exporter, Facts
from .postgres import settings as postgres
from .redis import settings as redis

# In this order everywhere: secret keys, exporters, alert rules, default workloads.
FACTS: list[Facts] = [postgres.FACTS, redis.FACTS]

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


def secret_keys() -> tuple[str, ...]:
    """Every secret key any datastore may use."""
    return tuple(key for f in FACTS for key in f.secret_keys)


def secret_key_prefixes() -> tuple[str, ...]:
    return tuple(prefix for f in FACTS for prefix in f.secret_key_prefixes)


def is_secret_key(key: str) -> bool:
    """A datastore's secret key: a fixed one, or one made per client workload."""
    return key in secret_keys() or any(
        key.startswith(prefix) and len(key) > len(prefix) for prefix in secret_key_prefixes()
    )


def exporters() -> list[Exporter]:
    return [e for f in FACTS for e in f.exporters]


def exporter_table() -> dict[str, tuple[str, str, int, str | None]]:
    """Field of monitoring.exporters -> (workload, port name, port, workload it reads)."""
    return {e.toggle: (e.workload, e.port_name, e.port, e.subject) for e in exporters()}


def image_entrypoints() -> dict[str, list[str]]:
    """Datastore image key -> its ENTRYPOINT (docker-host wraps it to write files first)."""
    return {f.image: list(f.image_entrypoint) for f in FACTS}


def docker_healthchecks() -> dict[str, list[str]]:
    """dockerHost.healthchecks defaults: a datastore role's own check."""
    return {role: list(test) for f in FACTS for role, test in f.docker_healthchecks.items()}


def docker_shm_sizes() -> dict[str, int]:
    """dockerHost.shmSizeMb defaults, in MiB."""
    return {role: size for f in FACTS for role, size in f.docker_shm_mb.items()}
