"""Redis's behaviour: the secrets an estate needs, what a client gets (its URL, as the
broker's `app` user or a user of its own), how each role is wired (redis.conf and the
ACL file), what the gate refuses, and the production workloads. Shared by the Kubernetes
and the docker-host targets.

The package: settings.py (the model's leaf: settings, roles, users, secret keys,
exporter), files.py (redis.conf), acl.py (the ACL users and what each may run),
monitoring.py (exporter and alerts), and this module, which gathers them into `DATASTORE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.values.secret_text import SecretText, sha256_of, text, url_encoded

from ..base import ClientEnv, Datastore, Files, Wired, first_port
from .acl import REDIS_APP_COMMANDS, REDIS_CACHE_COMMANDS, redis_users_parts
from .files import REDIS_AUTH_PATH, REDIS_CONF_DIR, redis_cache_conf, redis_conf
from .monitoring import alert_rules, exporter_env
from .settings import (
    BROKER,
    CACHE,
    EXPORTER,
    FACTS,
    IMAGE,
    REDIS_APP_USER,
    RESERVED_USERS,
    workload_secret_key,
)

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.workloads import WorkloadSpec


def own_user_clients(config: EstateConfig) -> list[str]:
    """The enabled workloads that reach the broker but are no Celery client: one ACL user each."""
    enabled = config.enabled_workloads
    if BROKER not in enabled:
        return []
    return [name for name, spec in enabled.items() if BROKER in spec.connects_to and not spec.celery_client]


def required_secrets(config: EstateConfig) -> dict[str, str]:
    needed = {}
    enabled = config.enabled_workloads
    if BROKER in enabled:
        needed["redisPassword"] = "the Redis broker's application user's password (ACL user `app`)"
        needed["redisMonitorPassword"] = (
            "the Redis broker's read-only monitoring user's password (ACL user `monitor`)"
        )
    for name in own_user_clients(config):
        needed[workload_secret_key(name)] = (
            f"the Redis broker's ACL user `{name}` (REDIS_URL of workload {name}, keys {name}:*)"
        )
    if CACHE in enabled:
        needed["redisCachePassword"] = "the Redis cache's application user's password (ACL user `app`)"
    return needed


# --- clients and roles ---------------------------------------------------------------------


def connection_url(host: str, port: int, password_key: str, user: str = REDIS_APP_USER) -> SecretText:
    return text(f"redis://{user}:", url_encoded(password_key), f"@{host}:{port}/0")


def add_client_env(role: str, client: str, config: EstateConfig, env: ClientEnv) -> None:
    """A Celery client shares the broker's `app` user; any other workload gets REDIS_URL only,
    as its own user (one leaked password opens one door: its own keys)."""
    if role == BROKER and not config.workloads[client].celery_client:
        url = connection_url(BROKER, first_port(config, BROKER), workload_secret_key(client), client)
        env.secret.setdefault("REDIS_URL", url)
    elif role == BROKER:
        url = connection_url(BROKER, first_port(config, BROKER), "redisPassword")
        env.secret["CELERY_BROKER_URL"] = url
        env.secret["CELERY_RESULT_BACKEND"] = url
        env.secret.setdefault("REDIS_URL", url)
    else:
        url = connection_url(CACHE, first_port(config, CACHE), "redisCachePassword")
        env.secret["CACHE_URL"] = url
        # The cache, when there is one, is what REDIS_URL means to the application.
        env.secret["REDIS_URL"] = url


def wire(role: str, config: EstateConfig, spec: WorkloadSpec) -> Wired:
    if role == BROKER:
        assert spec.storage is not None
        conf = redis_conf(config.redis, spec.storage.mount_path, REDIS_AUTH_PATH)
        own = {name: sha256_of(workload_secret_key(name)) for name in own_user_clients(config)}
        users = text(
            *redis_users_parts(
                sha256_of("redisPassword"), sha256_of("redisMonitorPassword"), REDIS_APP_COMMANDS, own
            )
        )
    else:
        data_dir = spec.storage.mount_path if spec.storage is not None else spec.writable_paths[0]
        conf = redis_cache_conf(config.redis_cache, data_dir, REDIS_AUTH_PATH)
        users = text(*redis_users_parts(sha256_of("redisCachePassword"), None, REDIS_CACHE_COMMANDS))
    files = [
        Files("config", REDIS_CONF_DIR, {"redis.conf": conf}),
        Files("auth", REDIS_AUTH_PATH.rsplit("/", 1)[0], {"auth.conf": users}, secret=True),
    ]
    return Wired(
        spec.model_copy(update={"command": ["redis-server"], "args": [f"{REDIS_CONF_DIR}/redis.conf"]}), files
    )


def problems(config: EstateConfig) -> list[tuple[str, str]]:
    found = []
    broker = config.enabled_workloads.get(BROKER)
    if broker is not None and broker.storage is None:
        found.append((f"workloads.{BROKER}.storage", "Redis needs `storage` for its data directory"))
    if broker is None:
        return found
    for name, spec in config.enabled_workloads.items():
        if spec.celery_client and BROKER not in spec.connects_to:
            found.append(
                (
                    f"workloads.{name}.celeryClient",
                    f"true, but connectsTo does not name {BROKER}: a Celery client reaches the broker "
                    f"(add {BROKER} to connectsTo, or set celeryClient: false)",
                )
            )
    for name in own_user_clients(config):
        if name in RESERVED_USERS:
            found.append(
                (
                    f"workloads.{name}.connectsTo",
                    f"{name} would get a broker ACL user of its own, and `{name}` is a user the broker "
                    f"already has ({', '.join(sorted(RESERVED_USERS))}); rename the workload or make it "
                    "a Celery client (celeryClient: true)",
                )
            )
    return found


# --- the production workloads --------------------------------------------------------------

# The broker and the cache share the image, the port, the probes and the user; they differ
# in what they keep (the broker a volume, the cache nothing) and in their size.
_SHARED: dict[str, Any] = {
    "component": "cache",
    "image": IMAGE,
    "replicas": 1,
    "ports": {"redis": 6379},
    "probes": {
        "readiness": {"tcp": True, "port": "redis", "periodSeconds": 10},
        "liveness": {"tcp": True, "port": "redis", "periodSeconds": 20, "failureThreshold": 5},
    },
    "security": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
}


def _resources(cpu: tuple[str, str], memory: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu[0], "memory": memory[0]}, "limits": {"cpu": cpu[1], "memory": memory[1]}}


DEFAULT_WORKLOADS: dict[str, dict[str, Any]] = {
    BROKER: _SHARED
    | {
        "kind": "StatefulSet",
        "resources": _resources(cpu=("100m", "500m"), memory=("512Mi", "1Gi")),
        "storage": {"size": "10Gi", "mountPath": "/data"},
    },
    # An optional cache that may evict (redisCache), apart from the broker that never does.
    CACHE: _SHARED
    | {
        "enabled": False,
        "resources": _resources(cpu=("50m", "250m"), memory=("128Mi", "384Mi")),
    },
}

DATASTORE = Datastore(
    facts=FACTS,
    default_workloads=DEFAULT_WORKLOADS,
    required_secrets=required_secrets,
    add_client_env=add_client_env,
    wire=wire,
    alert_rules=alert_rules,
    problems=problems,
    exporter_env={EXPORTER.workload: exporter_env},
)
