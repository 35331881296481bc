"""The files a Redis role reads: redis.conf (the broker's or the cache's) and where each
is mounted. Every string that reaches redis.conf goes through `redis_quote`; passwords
never reach redis.conf at all (the ACL file, acl.py, holds SHA-256 hashes)."""

from __future__ import annotations

from .settings import RedisCacheSettings, RedisSettings

# Where a role finds its files.
REDIS_CONF_DIR = "/etc/redis/conf"
REDIS_AUTH_PATH = "/etc/redis/auth/auth.conf"


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
