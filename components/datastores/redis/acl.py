"""The ACL users of each Redis role: what the application, the monitor and each
non-Celery client may run and reach, proven command by command against the real clients
(tests/clients), and the Celery queues the monitor reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from components.values.secret_text import sha256_hex

from .files import redis_quote
from .settings import REDIS_APP_USER, REDIS_MONITOR_USER

# A piece of a secret-derived file: the text itself, or a recipe's reference to a secret.
T = TypeVar("T")

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
