"""Redis: everything the estate knows of it, in one module.

Two roles run the same image: `redis`, the Celery broker and result backend (never
evicts, keeps an append-only file, settings `redis.*`), and `redis-cache`, an optional
cache (may evict, keeps nothing on disk, settings `redisCache.*`). Here are their
settings, secrets, the URL a client gets, redis.conf and the ACL users, the exporter, the
alerts and the production workloads. Every string that reaches redis.conf goes through
`redis_quote`; passwords never reach redis.conf at all (the ACL holds SHA-256 hashes).
Shared by the Kubernetes and the docker-host targets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import AfterValidator, Field

from components.config.alerts import AlertRule
from components.config.base import StrictModel
from components.config.images import PinnedImage
from components.config.workloads import WorkloadSpec
from components.secret_text import SecretText, sha256_hex, sha256_of, text, url_encoded

from .base import Datastore, Exporter, Files, Wired, first_port

if TYPE_CHECKING:
    from components.config.alerts import AlertThresholds
    from components.config.estate import EstateConfig

# Workload names of its roles; a workload reaches one by naming it in `connectsTo`.
BROKER = "redis"
CACHE = "redis-cache"
IMAGE = "redis"

# Redis ACL users of each instance. `default` is switched off.
REDIS_APP_USER = "app"
REDIS_MONITOR_USER = "monitor"

# The broker's memory alert fires at this share of maxmemory: well before Redis refuses writes.
BROKER_MEMORY_ALERT_RATIO = 0.75

# Where a role finds its files.
REDIS_CONF_DIR = "/etc/redis/conf"
REDIS_AUTH_PATH = "/etc/redis/auth/auth.conf"

# --- settings (`redis.*`, `redisCache.*`) ---------------------------------------------------

_REDIS_BYTES = re.compile(r"([0-9]{1,12})(kb|mb|gb)")
_SAVE_RULE = re.compile(r"([0-9]{1,9}) ([0-9]{1,9})")


def _check_redis_bytes(value: str) -> str:
    match = _REDIS_BYTES.fullmatch(value)
    if not match or int(match.group(1)) <= 0:
        raise ValueError("expected a positive Redis memory size such as 768mb or 1gb")
    return value


def _check_save_rule(value: str) -> str:
    match = _SAVE_RULE.fullmatch(value)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise ValueError('expected "<seconds> <changes>" with two positive whole numbers, such as "900 1"')
    return value


RedisBytes = Annotated[str, AfterValidator(_check_redis_bytes)]
SaveRule = Annotated[str, AfterValidator(_check_save_rule)]


def _check_broker_policy(value: str) -> str:
    if value != "noeviction":
        raise ValueError(
            "the broker never evicts: an evicted key is a lost Celery task or binding. Use "
            "noeviction here, and the `redis-cache` workload (redisCache.maxmemoryPolicy) for a "
            "cache that may evict"
        )
    return value


class RedisSettings(StrictModel):
    """The Celery broker and result backend: never evicts, keeps an append-only file."""

    maxmemory: RedisBytes = "768mb"
    maxmemory_policy: Annotated[str, AfterValidator(_check_broker_policy)] = "noeviction"
    appendonly: bool = True
    appendfsync: Literal["always", "everysec", "no"] = "everysec"
    # RDB snapshots next to the AOF; an empty list writes `save ""` (no snapshots).
    save: list[SaveRule] = Field(default_factory=lambda: ["900 1", "300 10", "60 10000"])


class RedisCacheSettings(StrictModel):
    """The optional cache (`workloads.redis-cache`): may evict, keeps nothing on disk."""

    maxmemory: RedisBytes = "256mb"
    maxmemory_policy: Literal[
        "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"
    ] = "allkeys-lru"


class Settings(StrictModel):
    """The estate's `redis` and `redisCache` keys (EstateConfig inherits them through the registry)."""

    redis: RedisSettings = RedisSettings()
    redis_cache: RedisCacheSettings = RedisCacheSettings()


class ExporterToggle(StrictModel):
    redis: bool = True


class ExporterImage(StrictModel):
    redis_exporter: PinnedImage = "docker.io/oliver006/redis_exporter:v1.62.0"


# --- files ---------------------------------------------------------------------------------

# A piece of a secret-derived file: the text itself, or a recipe's reference to a secret.
T = TypeVar("T")


def redis_quote(value: str) -> str:
    """A double-quoted redis.conf argument that Redis (sdssplitargs) reads back exactly:
    `\\` and `"` escaped, every byte outside printable ASCII as \\xHH."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in '\\"':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def _base_conf(data_dir: str, maxmemory: str, policy: str, include: str) -> list[str]:
    return [
        "bind 0.0.0.0 -::*",
        "port 6379",
        "protected-mode yes",
        f"dir {redis_quote(data_dir)}",
        f"maxmemory {maxmemory}",
        f"maxmemory-policy {policy}",
        # No user, whatever its ACL, may debug, load modules or change protected settings.
        "enable-debug-command no",
        "enable-module-command no",
        "enable-protected-configs no",
        # The ACL users (hashed passwords) live in a Secret-backed file, never in this ConfigMap.
        f"include {redis_quote(include)}",
    ]


def redis_conf(settings: RedisSettings, data_dir: str, auth_include: str) -> str:
    """The broker: never evicts (writes fail with OOM instead), keeps an append-only file."""
    lines = [
        *_base_conf(data_dir, settings.maxmemory, settings.maxmemory_policy, auth_include),
        f"appendonly {'yes' if settings.appendonly else 'no'}",
        f"appendfsync {settings.appendfsync}",
        *([f"save {rule}" for rule in settings.save] or ['save ""']),
    ]
    return "\n".join(lines) + "\n"


def redis_cache_conf(settings: RedisCacheSettings, data_dir: str, auth_include: str) -> str:
    """The cache: evicts by its policy and keeps nothing on disk."""
    lines = [
        *_base_conf(data_dir, settings.maxmemory, settings.maxmemory_policy, auth_include),
        "appendonly no",
        'save ""',
    ]
    return "\n".join(lines) + "\n"


# What the broker's `app` user may run: exactly the commands Celery 5.7 (kombu's Redis
# transport, the Redis result backend) and redis-py 8 send, each with the client call that
# sends it. Commands a Lua script calls are checked against the ACL too, so a script's
# commands are granted as well. tests/clients/test_celery.py runs every scenario the
# platform relies on and compares this table with what the server counted (INFO
# commandstats): a command sent but not granted, or granted but never sent and not in
# REDIS_APP_RARE, fails it. Nothing else: no admin, no KEYS, no EVAL of ad-hoc text, no
# SCRIPT FLUSH/KILL, no FUNCTION.
REDIS_APP_COMMANDS: dict[str, str] = {
    # Connecting and staying connected.
    "hello": "redis-py Connection.on_connect: HELLO with AUTH (every client)",
    "auth": "redis-py Connection.on_connect with protocol=2 (RESP2 clients)",
    "ping": "kombu health_check_interval (redis-py's health check, Channel.maybe_check_*_health)",
    # kombu's Redis transport: queues are lists, bindings sets, unacked messages a hash
    # and a sorted set, fanout (pidbox, events) is pub/sub.
    "lpush": "kombu Channel._put: publishing a task (add.delay)",
    "brpop": "kombu Channel._brpop_start: a worker waiting for tasks",
    "llen": "kombu Channel._size (queue length: control replies, app.control.purge)",
    "sadd": "kombu Channel._queue_bind and the REFRESH_BINDING script: queue bindings",
    "smembers": "kombu Channel.get_table: the bindings of an exchange (publishing)",
    "srem": "kombu Channel._queue_unbind (a pidbox reply queue going away)",
    "hset": "kombu QoS.append: a delivered, unacked message (acks_late)",
    "hget": "kombu QoS.restore_by_tag: the message to restore",
    "hdel": "kombu QoS.ack / restore_by_tag: a message acked or restored",
    "zadd": "kombu QoS.append (unacked index) and REFRESH_BINDING; Celery's chord script (ordered chords)",
    "zrem": "kombu QoS.ack / restore_by_tag and the SWEEP_BINDINGS script",
    "zrangebyscore": "kombu QoS.restore_visible: unacked messages past visibility_timeout; SWEEP_BINDINGS",
    "rpush": "kombu Channel._do_restore_message: a restored message back on its queue",
    "watch": "kombu QoS.restore_by_tag: redis-py Redis.transaction (optimistic lock on the unacked hash)",
    "multi": "redis-py Pipeline(transaction=True): kombu acks and restores, Celery's result backend",
    "exec": "redis-py Pipeline(transaction=True), as multi",
    "time": "kombu's REFRESH_BINDING and SWEEP_BINDINGS scripts: binding deadlines by the server clock",
    "exists": "kombu's SWEEP_BINDINGS script; Celery's CHORD_CLAIM_EXTEND script",
    "publish": "kombu fanout (pidbox: app.control.ping, revoke); Celery RedisBackend.set (result published)",
    "subscribe": "Celery ResultConsumer: AsyncResult.get waits on celery-task-meta-<id>",
    "unsubscribe": "Celery ResultConsumer: done with a result",
    "psubscribe": "kombu fanout_patterns: a worker's pidbox and events",
    "punsubscribe": "kombu: a fanout consumer going away",
    # Lua: redis-py's Script object (Lock, kombu's Mutex, Celery's chord scripts).
    "evalsha": (
        "redis-py Script.__call__: Lock.release/extend/reacquire (kombu's unacked_mutex), "
        "Celery's chord scripts"
    ),
    "script|load": "redis-py Script.__call__ after NOSCRIPT (a fresh or restarted server)",
    "script|exists": "redis-py Pipeline.load_scripts: a script inside a pipeline",
    # Celery's Redis result backend and redis-py's Lock.
    "get": "Celery RedisBackend.get (AsyncResult.state/get), the chord scripts; Lock scripts",
    "mget": "Celery RedisBackend.mget (GroupResult, ResultSet.join)",
    "set": "redis-py Lock.acquire (SET NX PX); Celery's chord claim (SET NX EX)",
    "setex": "Celery RedisBackend.set with result_expires (a task's result)",
    "del": "Celery RedisBackend.delete and chord cleanup; kombu's queue delete; Lock.release script",
    "expire": "Celery RedisBackend.expire (chord and group keys)",
    "incr": "Celery RedisBackend.incr: a chord header that grows (Task.add_to_chord)",
    "sismember": "Celery's CHORD_PART_RETURN script: a chord part counted once",
    "zcount": "Celery's CHORD_PART_RETURN script: parts ready (ordered chords)",
    "zrange": "Celery RedisBackend.on_chord_part_return: the chord's results in order",
    "pexpire": "redis-py Lock.extend / Lock.reacquire scripts",
    "pttl": "redis-py Lock.extend script",
}
# Granted but not sent in the scenarios of tests/clients: each is on a path they do not reach.
REDIS_APP_RARE: dict[str, str] = {
    "auth": "the Celery clients connect with HELLO; a RESP2 client of REDIS_URL sends AUTH",
    "exists": "SWEEP_BINDINGS reaches EXISTS only for an overdue binding table (after hours)",
    "incr": "only Task.add_to_chord",
}


# The cache's `app` user: the api's cache operations with redis-py on CACHE_URL (and REDIS_URL,
# which points at the cache when there is one), proven in tests/clients/test_cache.py.
# docs/datastores.md promises no key listing, so no SCAN (and never KEYS).
REDIS_CACHE_COMMANDS: dict[str, str] = {
    "hello": REDIS_APP_COMMANDS["hello"],
    "auth": REDIS_APP_COMMANDS["auth"],
    "ping": "redis-py Redis.ping / health_check_interval",
    "get": "redis-py Redis.get: a cache read",
    "set": "redis-py Redis.set(key, value, ex=ttl): a cache write with its time to live",
    "del": "redis-py Redis.delete: an invalidation",
}


def _acl_rules(commands: dict[str, str]) -> str:
    return " ".join(f"+{command}" for command in commands)


# The Celery queues whose depth HighTaskQueueDepth reads: kombu's default queue (the worker
# runs without -Q) and its priority sub-queues. kombu's Redis transport keeps a message of
# priority p (steps 0, 3, 6, 9) in the list `<queue>` for 0 and `<queue>\x06\x16<p>` otherwise.
CELERY_QUEUES = ("celery",)
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
KOMBU_PRIORITY_STEPS = (3, 6, 9)


def celery_queue_keys() -> tuple[str, ...]:
    """Every Redis list a Celery queue's messages wait in (redis_exporter's key checks)."""
    return tuple(
        key
        for queue in CELERY_QUEUES
        for key in (queue, *(f"{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" for step in KOMBU_PRIORITY_STEPS))
    )


def queue_depth_expr() -> str:
    """PromQL: the messages waiting in each Celery queue (label `queue_name`), from
    redis_exporter's key checks; a queue's priority lists count towards it. Written with
    PromQL's \\x escapes, so a rule file holds no control characters."""
    steps = "".join(str(step) for step in KOMBU_PRIORITY_STEPS)
    separator = "".join(f"\\x{ord(char):02x}" for char in KOMBU_PRIORITY_SEPARATOR)
    key = f"({'|'.join(CELERY_QUEUES)})({separator}[{steps}])?"
    lists = f'redis_key_size{{db="db0",key=~"{key}"}}'
    return f'sum by (queue_name) (label_replace({lists}, "queue_name", "$1", "key", "{key}"))'


# What redis_exporter v1.62 (the pinned image) sends on each scrape, and nothing else; each
# proven by tests/monitoring/test_series_provenance.py, whose exporter log shows no NOPERM.
REDIS_MONITOR_COMMANDS = (
    # redis-cli's PING in the docker-host healthcheck; CLIENT SETNAME redis_exporter on connect.
    "+ping +client|setname "
    # CONFIG GET * (redis_config_maxclients: RedisConnectionSaturation), INFO ALL (redis_up,
    # memory, errors), LATENCY LATEST / HISTOGRAM, SLOWLOG LEN / GET 1.
    "+config|get +info +latency|latest +latency|histogram +slowlog|len +slowlog|get "
    # The key checks (-check-single-keys): SELECT the database, TYPE and LLEN of a queue.
    "+select +type +llen"
)


def redis_monitor_keys() -> str:
    """Read-only access (`%R~`) to exactly the Celery queue lists, not to a message in them:
    TYPE and LLEN are the only key commands the monitor has. Quoted for the \\x06 bytes."""
    return " ".join(redis_quote(f"%R~{key}") for key in celery_queue_keys())


def redis_users_parts(
    app_hash: T,
    monitor_hash: T | None,
    app_commands: dict[str, str] = REDIS_APP_COMMANDS,
    workloads: Mapping[str, T] | None = None,
) -> list[str | T]:
    """ACL users: `default` off, the application limited to its commands, the monitor read-only,
    and a user per non-Celery client workload (`workloads`: name -> hash) with the
    application's commands on its own keys and channels only (`<name>:*`).
    Only SHA-256 hashes are written, so no password text can ever break the file."""
    parts: list[str | T] = [
        "user default off resetpass resetkeys resetchannels -@all\n",
        f"user {REDIS_APP_USER} on resetpass #",
        app_hash,
        f" resetkeys ~* resetchannels &* -@all {_acl_rules(app_commands)}\n",
    ]
    if monitor_hash is not None:
        parts += [
            f"user {REDIS_MONITOR_USER} on resetpass #",
            monitor_hash,
            f" resetkeys {redis_monitor_keys()} resetchannels -@all {REDIS_MONITOR_COMMANDS}\n",
        ]
    for name, workload_hash in (workloads or {}).items():
        parts += [
            f"user {name} on resetpass #",
            workload_hash,
            f" resetkeys ~{name}:* resetchannels &{name}:* -@all {_acl_rules(app_commands)}\n",
        ]
    return parts


def redis_users(app_password: str, monitor_password: str | None) -> str:
    monitor = sha256_hex(monitor_password) if monitor_password is not None else None
    return "".join(redis_users_parts(sha256_hex(app_password), monitor))


# --- secrets -------------------------------------------------------------------------------

SECRET_KEYS = ("redisPassword", "redisMonitorPassword", "redisCachePassword")
# A broker client that is not a Celery client has its own ACL user and password:
# `redisPassword_<workload, '-' as '_'>` (an identifier, so ESO's templates can name it).
WORKLOAD_SECRET_PREFIX = "redisPassword_"  # noqa: S105 (a secret key's prefix, not a password)
# Users of the broker's ACL no workload may be named after.
RESERVED_USERS = frozenset({"default", REDIS_APP_USER, REDIS_MONITOR_USER})


def workload_secret_key(workload: str) -> str:
    return WORKLOAD_SECRET_PREFIX + workload.replace("-", "_")


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


def add_workload_client_env(role: str, client: str, config: EstateConfig, env: dict[str, SecretText]) -> None:
    """A Celery client shares the broker's `app` user; any other workload gets REDIS_URL only,
    as its own user (one leaked password opens one door: its own keys)."""
    if role == BROKER and not config.workloads[client].celery_client:
        url = connection_url(BROKER, first_port(config, BROKER), workload_secret_key(client), client)
        env.setdefault("REDIS_URL", url)
        return
    add_client_env(role, config, env)


def add_client_env(role: str, config: EstateConfig, env: dict[str, SecretText]) -> None:
    if role == BROKER:
        url = connection_url(BROKER, first_port(config, BROKER), "redisPassword")
        env["CELERY_BROKER_URL"] = url
        env["CELERY_RESULT_BACKEND"] = url
        env.setdefault("REDIS_URL", url)
    else:
        url = connection_url(CACHE, first_port(config, CACHE), "redisCachePassword")
        env["CACHE_URL"] = url
        # The cache, when there is one, is what REDIS_URL means to the application.
        env["REDIS_URL"] = url


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


# --- exporter and alerts -------------------------------------------------------------------

EXPORTER = Exporter(
    toggle="redis",
    workload="redis-exporter",
    port_name="metrics",
    port=9121,
    subject=BROKER,
    # The broker's read-only ACL user (INFO, CONFIG GET, SLOWLOG, the queues' lengths).
    env=lambda config: {
        "REDIS_ADDR": f"redis://{BROKER}:{first_port(config, BROKER)}",
        "REDIS_USER": REDIS_MONITOR_USER,
        # redis_key_size{key="celery"}: HighTaskQueueDepth's series. The exporter URL-decodes
        # each key, so the priority queues' \x06\x16 travel as %06%16.
        "REDIS_EXPORTER_CHECK_SINGLE_KEYS": ",".join(
            f"db0={quote(key, safe='')}" for key in celery_queue_keys()
        ),
    },
    secret_env={"REDIS_PASSWORD": "redisMonitorPassword"},
)


def alert_rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    # Imported here: the monitoring model imports the registry, which imports this module.

    return [
        AlertRule(
            alert="RedisDown",
            expr="redis_up == 0 or absent(redis_up)",
            for_="2m",
            severity="critical",
            summary="Redis is down",
            description=(
                "The Redis exporter cannot reach the broker or log in as monitor (its log says which: "
                "connection refused or WRONGPASS), or is not reporting at all."
            ),
            runbook="redis-down",
        ),
        AlertRule(
            alert="RedisConnectionSaturation",
            expr=f"redis_connected_clients / redis_config_maxclients > {t.connection_saturation_ratio}",
            for_="10m",
            severity="warning",
            summary="Redis uses {{ $value | humanizePercentage }} of maxclients",
            description=f"More than {t.connection_saturation_ratio:.0%} of Redis maxclients are connected.",
            runbook="redis-connection-saturation",
        ),
        AlertRule(
            alert="RedisMemoryHigh",
            # The broker never evicts: the warning comes well before writes are refused.
            # Without maxmemory the ratio is meaningless; the guard keeps it from dividing by 0.
            expr=f"redis_memory_used_bytes / (redis_memory_max_bytes > 0) > {BROKER_MEMORY_ALERT_RATIO}",
            for_="10m",
            severity="warning",
            summary="Redis broker memory at {{ $value | humanizePercentage }} of maxmemory",
            description=(
                "The Celery broker never evicts: at maxmemory it refuses new tasks with an OOM error. "
                "Drain the queues (are the workers running?) or raise redis.maxmemory."
            ),
            runbook="redis-memory",
        ),
        AlertRule(
            alert="RedisBrokerRefusingWrites",
            expr=(
                'increase(redis_errors_total{err="OOM"}[5m]) > 0'
                " or redis_memory_used_bytes / (redis_memory_max_bytes > 0) >= 0.98"
            ),
            severity="critical",
            summary="The Redis broker is full and refuses new tasks",
            description=(
                "Producers get OOM errors: tasks are not being queued. Nothing already queued is lost "
                "(noeviction); drain the queues or raise redis.maxmemory."
            ),
            runbook="redis-broker-full",
        ),
    ]


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
    name="redis",
    image=IMAGE,
    pinned_image="docker.io/library/redis:7.4.1-bookworm",
    roles={BROKER: "broker", CACHE: "cache"},
    default_workloads=DEFAULT_WORKLOADS,
    secret_keys=SECRET_KEYS,
    required_secrets=required_secrets,
    add_client_env=add_client_env,
    add_workload_client_env=add_workload_client_env,
    secret_key_prefixes=(WORKLOAD_SECRET_PREFIX,),
    wire=wire,
    alert_rules=alert_rules,
    problems=problems,
    exporters=(EXPORTER,),
    # redis-cli reads REDISCLI_AUTH (the monitoring user's), so the check proves the ACL too.
    docker_healthchecks={BROKER: ["CMD-SHELL", "redis-cli --user monitor ping | grep -q PONG"]},
    container_secret_env={BROKER: {"REDISCLI_AUTH": "redisMonitorPassword"}},
)
