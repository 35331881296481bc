"""What each platform workload needs beyond its spec: credentials, config files, arguments.

Connection secrets follow the `connectsTo` intent, so a workload gets exactly the
credentials of what it declares it calls, and nothing else. A datastore that is not
enabled hands out nothing (and its secrets need not exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.datastores import BROKER, CACHE, POSTGRES, REDIS_APP_USER, REPLICA
from components.config.estate import EstateConfig
from components.config.secrets import postgres_exporter_deployed
from components.config.workloads import WorkloadSpec
from components.render import datastores as ds
from components.secret_text import SecretText, pgpass_escaped, secret, sha256_of, text, url_encoded
from components.secure_deployment import ConfigFiles

PG_HBA_PATH = "/etc/postgresql/hba/pg_hba.conf"
REDIS_CONF_DIR = "/etc/redis/conf"
REDIS_AUTH_PATH = "/etc/redis/auth/auth.conf"


@dataclass
class Wiring:
    spec: WorkloadSpec
    files: list[ConfigFiles] = field(default_factory=list)
    secret_env: dict[str, SecretText] = field(default_factory=dict)


def _port(config: EstateConfig, workload: str) -> int:
    return next(iter(config.workloads[workload].ports.values()))


# Every secret-derived value is a SecretText recipe: resolved from Pulumi secret config, or
# rendered by the External Secrets Operator's template engine in the cluster.
def _postgres_url(host: str, user: str, db: str, port: int) -> SecretText:
    return text(f"postgresql://{user}:", url_encoded("postgresPassword"), f"@{host}:{port}/{db}")


def _redis_url(host: str, port: int, password_key: str) -> SecretText:
    return text(f"redis://{REDIS_APP_USER}:", url_encoded(password_key), f"@{host}:{port}/0")


def _connections(config: EstateConfig, wiring: Wiring) -> None:
    enabled = config.enabled_workloads
    plain_urls: dict[str, str] = {}
    for target in wiring.spec.connects_to:
        if target not in enabled:
            continue  # nothing runs there: no credentials, no URL
        if target == POSTGRES:
            pg = config.postgres
            wiring.secret_env["DATABASE_URL"] = _postgres_url(
                POSTGRES, pg.app_user, pg.database, _port(config, POSTGRES)
            )
        elif target == REPLICA:
            pg = config.postgres
            # Reads that may lag the primary by a moment: the replicas' Service.
            wiring.secret_env["DATABASE_READ_URL"] = _postgres_url(
                REPLICA, pg.app_user, pg.database, _port(config, REPLICA)
            )
        elif target == BROKER:
            url = _redis_url(BROKER, _port(config, BROKER), "redisPassword")
            wiring.secret_env["CELERY_BROKER_URL"] = url
            wiring.secret_env["CELERY_RESULT_BACKEND"] = url
            wiring.secret_env.setdefault("REDIS_URL", url)
        elif target == CACHE:
            url = _redis_url(CACHE, _port(config, CACHE), "redisCachePassword")
            wiring.secret_env["CACHE_URL"] = url
            # The cache, when there is one, is what REDIS_URL means to the application.
            wiring.secret_env["REDIS_URL"] = url
        else:
            plain_urls[f"{target.upper().replace('-', '_')}_URL"] = f"http://{target}:{_port(config, target)}"
    if plain_urls:
        wiring.spec = wiring.spec.model_copy(update={"env": {**wiring.spec.env, **plain_urls}})


def _postgres(config: EstateConfig, wiring: Wiring) -> None:
    spec = wiring.spec
    exporter = postgres_exporter_deployed(config)
    credentials: dict[str, SecretText] = {
        ds.PG_ADMIN_PASSWORD_FILE.rsplit("/", 1)[1]: secret("postgresAdminPassword"),
        ds.PG_APP_PASSWORD_FILE.rsplit("/", 1)[1]: secret("postgresPassword"),
    }
    if exporter:
        credentials[ds.PG_EXPORTER_PASSWORD_FILE.rsplit("/", 1)[1]] = secret("postgresExporterPassword")
    if config.postgres.read_replicas > 0:
        credentials[ds.PG_REPLICATION_PASSWORD_FILE.rsplit("/", 1)[1]] = secret("postgresReplicationPassword")
    wiring.files += [
        ConfigFiles("hba", PG_HBA_PATH.rsplit("/", 1)[0], {"pg_hba.conf": ds.PG_HBA}),
        ConfigFiles("credentials", ds.PG_CREDENTIALS_DIR, credentials, secret=True),
        ConfigFiles(
            "initdb",
            ds.PG_INITDB_DIR,
            {ds.PG_ROLES_FILE.rsplit("/", 1)[1]: ds.postgres_roles_sql(config.postgres, exporter)},
        ),
        ConfigFiles("start", ds.PG_START_DIR, {ds.PG_START_SCRIPT.rsplit("/", 1)[1]: ds.POSTGRES_START_SH}),
    ]
    wiring.spec = spec.model_copy(
        update={
            "command": ["bash", ds.PG_START_SCRIPT],
            "args": ds.postgres_args(config.postgres, PG_HBA_PATH),
            "env": {**spec.env, **ds.postgres_environment()},
        }
    )


def _replica(config: EstateConfig, wiring: Wiring) -> None:
    spec = wiring.spec
    port = _port(config, POSTGRES)
    wiring.files += [
        ConfigFiles("hba", PG_HBA_PATH.rsplit("/", 1)[0], {"pg_hba.conf": ds.PG_HBA}),
        ConfigFiles(
            "credentials",
            ds.PG_CREDENTIALS_DIR,
            {
                ds.PG_PASSFILE.rsplit("/", 1)[1]: text(
                    *ds.pgpass_parts(POSTGRES, port, pgpass_escaped("postgresReplicationPassword"))
                )
            },
            secret=True,
        ),
        ConfigFiles(
            "replica",
            ds.PG_START_DIR,
            {ds.PG_REPLICA_SCRIPT.rsplit("/", 1)[1]: ds.postgres_replica_script(POSTGRES, port)},
        ),
    ]
    # The same settings as the primary (a standby needs at least its max_connections).
    wiring.spec = spec.model_copy(
        update={
            "command": ["bash", ds.PG_REPLICA_SCRIPT],
            "args": ds.postgres_args(config.postgres, PG_HBA_PATH)[1:],
        }
    )


def _redis(name: str, config: EstateConfig, wiring: Wiring) -> None:
    spec = wiring.spec
    if name == BROKER:
        assert spec.storage is not None
        conf = ds.redis_conf(config.redis, spec.storage.mount_path, REDIS_AUTH_PATH)
        users = text(*ds.redis_users_parts(sha256_of("redisPassword"), sha256_of("redisMonitorPassword")))
    else:
        data_dir = spec.storage.mount_path if spec.storage is not None else spec.writable_paths[0]
        conf = ds.redis_cache_conf(config.redis_cache, data_dir, REDIS_AUTH_PATH)
        users = text(*ds.redis_users_parts(sha256_of("redisCachePassword"), None))
    wiring.files += [
        ConfigFiles("config", REDIS_CONF_DIR, {"redis.conf": conf}),
        ConfigFiles("auth", REDIS_AUTH_PATH.rsplit("/", 1)[0], {"auth.conf": users}, secret=True),
    ]
    wiring.spec = spec.model_copy(
        update={"command": ["redis-server"], "args": [f"{REDIS_CONF_DIR}/redis.conf"]}
    )


def wire(name: str, config: EstateConfig) -> Wiring:
    wiring = Wiring(config.workloads[name])
    if name == REPLICA:
        # Its connectsTo (the primary's WAL stream) is network intent, not application credentials.
        _replica(config, wiring)
        return wiring
    _connections(config, wiring)
    if name == POSTGRES:
        _postgres(config, wiring)
    elif name in (BROKER, CACHE):
        _redis(name, config, wiring)
    return wiring
