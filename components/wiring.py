"""What each platform workload needs beyond its spec: credentials, config files, arguments.

Connection secrets follow the `connectsTo` intent, so a workload gets exactly the
credentials of what it declares it calls, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.estate import EstateConfig
from components.config.workloads import WorkloadSpec
from components.render.datastores import PG_HBA, POSTGRES_INITDB_ARGS, postgres_args, redis_conf
from components.secret_text import SecretRef, SecretText, secret, text, url_encoded
from components.secure_deployment import ConfigFiles

PG_HBA_PATH = "/etc/postgresql/hba/pg_hba.conf"
REDIS_AUTH_PATH = "/etc/redis/auth/auth.conf"


@dataclass
class Wiring:
    spec: WorkloadSpec
    files: list[ConfigFiles] = field(default_factory=list)
    # Recipes over the estate's secrets: resolved by Pulumi or filled in by the operator.
    secret_env: dict[str, SecretText] = field(default_factory=dict)


def _port(config: EstateConfig, workload: str) -> int:
    return next(iter(config.workloads[workload].ports.values()))


def _postgres_url(user: str, db: str, port: int) -> SecretText:
    return text(f"postgresql://{user}:", url_encoded("postgresPassword"), f"@postgres:{port}/{db}")


def _redis_url(port: int) -> SecretText:
    return text("redis://:", url_encoded("redisPassword"), f"@redis:{port}/0")


def wire(name: str, config: EstateConfig) -> Wiring:
    spec = config.workloads[name]
    wiring = Wiring(spec)
    postgres = config.workloads.get("postgres")
    for target in spec.connects_to:
        if target == "postgres" and postgres is not None:
            wiring.secret_env["DATABASE_URL"] = _postgres_url(
                postgres.env["POSTGRES_USER"], postgres.env["POSTGRES_DB"], _port(config, "postgres")
            )
        elif target == "redis":
            url = _redis_url(_port(config, "redis"))
            wiring.secret_env["REDIS_URL"] = url
            wiring.secret_env["CELERY_BROKER_URL"] = url
        else:
            wiring.spec = wiring.spec.model_copy(
                update={
                    "env": {
                        **wiring.spec.env,
                        f"{target.upper()}_URL": f"http://{target}:{_port(config, target)}",
                    }
                }
            )

    if name == "postgres":
        wiring.secret_env["POSTGRES_PASSWORD"] = secret("postgresPassword")
        wiring.files.append(ConfigFiles("hba", PG_HBA_PATH.rsplit("/", 1)[0], {"pg_hba.conf": PG_HBA}))
        wiring.spec = spec.model_copy(
            update={
                "args": postgres_args(config.postgres, PG_HBA_PATH),
                "env": {**spec.env, "POSTGRES_INITDB_ARGS": POSTGRES_INITDB_ARGS},
            }
        )
    if name == "redis":
        assert spec.storage is not None
        wiring.files.append(
            ConfigFiles(
                "config",
                "/etc/redis/conf",
                {"redis.conf": redis_conf(config.redis, spec.storage.mount_path, REDIS_AUTH_PATH)},
            )
        )
        wiring.files.append(
            ConfigFiles(
                "auth",
                REDIS_AUTH_PATH.rsplit("/", 1)[0],
                {"auth.conf": text('requirepass "', SecretRef("redisPassword"), '"\n')},
                secret=True,
            )
        )
        wiring.spec = spec.model_copy(
            update={"command": ["redis-server"], "args": ["/etc/redis/conf/redis.conf"]}
        )
    return wiring
