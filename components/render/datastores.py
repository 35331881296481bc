"""PostgreSQL and Redis settings as their servers read them (shared by both targets)."""

from __future__ import annotations

from components.config.datastores import PostgresTuning, RedisSettings

# SCRAM-SHA-256 only: md5 and trust are never accepted, locally or over the network.
PG_HBA = """\
# TYPE  DATABASE  USER  ADDRESS    METHOD
local   all       all              scram-sha-256
host    all       all   0.0.0.0/0  scram-sha-256
host    all       all   ::/0       scram-sha-256
"""

POSTGRES_INITDB_ARGS = "--auth-host=scram-sha-256 --auth-local=scram-sha-256"


def postgres_settings(tuning: PostgresTuning) -> dict[str, str]:
    settings = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in tuning.model_dump().items()
    }
    settings["password_encryption"] = "scram-sha-256"  # noqa: S105 (the hashing method)
    return settings


def postgres_args(tuning: PostgresTuning, hba_file: str) -> list[str]:
    args = ["postgres"]
    for key, value in postgres_settings(tuning).items():
        args += ["-c", f"{key}={value}"]
    return [*args, "-c", f"hba_file={hba_file}"]


def redis_conf(settings: RedisSettings, data_dir: str, auth_include: str) -> str:
    lines = [
        "bind 0.0.0.0 -::*",
        "port 6379",
        "protected-mode yes",
        f"dir {data_dir}",
        f"maxmemory {settings.maxmemory}",
        f"maxmemory-policy {settings.maxmemory_policy}",
        f"appendonly {'yes' if settings.appendonly else 'no'}",
        f"appendfsync {settings.appendfsync}",
        *[f"save {rule}" for rule in settings.save],
        # The password lives in a Secret-backed file, never in this ConfigMap.
        f"include {auth_include}",
    ]
    return "\n".join(lines) + "\n"
