"""One leaked password opens one door: a workload that reaches the broker but is no Celery
client gets an ACL user of its own, confined to the keys and channels `<name>:*`, its own
secret (`redisPassword_<name>`), and REDIS_URL only; the api, worker and beat share `app`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_py
from redis.backoff import NoBackoff
from redis.retry import Retry

from components.config.errors import ConfigError
from components.datastores.redis.settings import workload_secret_key
from tests.datastores.conftest import REDIS_DATA
from tests.datastores.rendered import TARGETS, Rendered, rendered_all
from tests.datastores.servers import Redis, redis
from tests.support.program import TEST_SECRETS, run_program

from .harness import pointed_at

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("redis-workload-users")]

P = "shiksha-setu"
REPORTS = {
    "component": "reports",
    "image": "backend",
    "replicas": 1,
    "command": ["python"],
    "args": ["-m", "app.reports"],
    "connectsTo": ["redis"],
    "probes": {"readiness": {"exec": ["true"]}},
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "128Mi"}},
}
OVERRIDES = {f"{P}:workloads": {"redis": {"storage": {"mountPath": REDIS_DATA}}, "reports": REPORTS}}
SECRETS = {**TEST_SECRETS, "redisPassword_reports": "reports-test-Secret-51e0"}


@pytest.fixture(scope="module", params=TARGETS)
def estate(request: pytest.FixtureRequest) -> dict[str, Rendered]:
    return rendered_all(str(request.param), ("api", "reports", "redis"), OVERRIDES, SECRETS)


@pytest.fixture(scope="module")
def broker(estate: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    log = tmp_path_factory.mktemp("broker") / "redis.log"
    with redis(estate["redis"].files, estate["redis"].command, REDIS_DATA, log) as server:
        yield server


def client(estate: dict[str, Rendered], broker: Redis, workload: str, variable: str) -> redis_py.Redis:
    url = pointed_at(estate[workload].env[variable], "redis", broker.port)
    return redis_py.Redis.from_url(url, socket_timeout=10)


def test_the_workload_gets_its_own_user_and_redis_url_only(estate: dict[str, Rendered]) -> None:
    reports = {
        k: v for k, v in estate["reports"].env.items() if "REDIS" in k or "CELERY" in k or "CACHE" in k
    }
    assert reports == {"REDIS_URL": "redis://reports:reports-test-Secret-51e0@redis:6379/0"}
    assert estate["api"].env["CELERY_BROKER_URL"].startswith("redis://app:")
    auth = estate["redis"].files["/etc/redis/auth/auth.conf"]
    assert "reports-test-Secret-51e0" not in auth
    assert "user reports on resetpass #" in auth and "~reports:* resetchannels &reports:* -@all" in auth


def test_the_workload_uses_its_prefix(estate: dict[str, Rendered], broker: Redis) -> None:
    reports = client(estate, broker, "reports", "REDIS_URL")
    assert reports.set("reports:daily", "ready", ex=60)
    assert reports.get("reports:daily") == b"ready"
    lock = reports.lock("reports:lock", timeout=10)
    assert lock.acquire(blocking=False) and lock.extend(5)
    lock.release()
    assert reports.publish("reports:events", "done") == 0
    assert reports.delete("reports:daily") == 1


@pytest.mark.parametrize(
    ("command", "refused"),
    [
        (("GET", "celery-task-meta-1"), "keys"),
        (("SET", "celery-task-meta-1", "forged"), "keys"),
        (("LPUSH", "celery", "forged task"), "keys"),
        (("BRPOP", "celery", "1"), "keys"),
        (("SMEMBERS", "_kombu.binding.celery"), "keys"),
        (("HGETALL", "unacked"), "command"),
        (("GET", "billing:invoice"), "keys"),
        (("SET", "reportsx", "1"), "keys"),
        (("PUBLISH", "celery-task-meta-1", "forged"), "channel"),
        (("PUBLISH", "/0.celery.pidbox", "forged"), "channel"),
        (("FLUSHALL",), "command"),
        (("KEYS", "*"), "command"),
        (("CONFIG", "GET", "*"), "command"),
    ],
)
def test_the_workload_cannot_touch_celery_or_other_prefixes(
    estate: dict[str, Rendered], broker: Redis, command: tuple[str, ...], refused: str
) -> None:
    app = client(estate, broker, "api", "CELERY_BROKER_URL")
    app.set("celery-task-meta-1", "result")
    reports = client(estate, broker, "reports", "REDIS_URL")
    with pytest.raises(redis_py.exceptions.NoPermissionError, match=refused):
        reports.execute_command(*command)
    assert app.get("celery-task-meta-1") == b"result"


def test_the_workload_password_is_no_celery_password(estate: dict[str, Rendered], broker: Redis) -> None:
    """Its password opens its own door only: not the `app` user's (the Celery variables)."""
    for user, password in (("app", SECRETS["redisPassword_reports"]), ("reports", SECRETS["redisPassword"])):
        once = redis_py.Redis(
            host="127.0.0.1", port=broker.port, username=user, password=password, retry=Retry(NoBackoff(), 0)
        )
        with pytest.raises(redis_py.exceptions.AuthenticationError, match="invalid username-password"):
            once.ping()


def problems_of(overrides: dict[str, Any], secrets: dict[str, str] | None = None) -> str:
    snapshot = run_program("prod", overrides=overrides, secrets=secrets or SECRETS, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError), snapshot.error
    assert snapshot.resources == []
    return str(snapshot.error)


def test_its_secret_is_required_and_named() -> None:
    message = problems_of(OVERRIDES, TEST_SECRETS)
    assert f"{P}:redisPassword_reports: required secret is missing" in message
    assert "pulumi config set --secret redisPassword_reports" in message


def test_its_secret_must_be_a_secret() -> None:
    snapshot = run_program(
        "prod",
        overrides=OVERRIDES,
        secrets=TEST_SECRETS,
        plaintext={"redisPassword_reports": "x"},
        raise_errors=False,
    )
    assert f"{P}:redisPassword_reports: is stored in plaintext" in str(snapshot.error)


def test_a_celery_client_must_reach_the_broker() -> None:
    overrides = {f"{P}:workloads": {"beat": {"connectsTo": []}}}
    assert f"{P}:workloads.beat.celeryClient: true, but connectsTo does not name redis" in problems_of(
        overrides
    )


def test_a_workload_named_like_a_broker_user_is_refused() -> None:
    overrides = {f"{P}:workloads": {"monitor": REPORTS}}
    message = problems_of(overrides, {**SECRETS, workload_secret_key("monitor"): "x"})
    assert f"{P}:workloads.monitor.connectsTo: monitor would get a broker ACL user of its own" in message


def test_hyphenated_names_make_identifier_keys() -> None:
    assert workload_secret_key("report-builder") == "redisPassword_report_builder"


def test_external_secrets_fetch_the_per_workload_key() -> None:
    """With `secrets.source: external` the operator fetches the per-workload key like any other."""
    overrides = {
        **OVERRIDES,
        f"{P}:secrets": {
            "source": "external",
            "backend": "vault",
            "vault": {"server": "https://vault.example.org", "role": "shiksha"},
            "remoteRefs": {"redisPassword_reports": {"key": "shiksha/reports", "property": "redis"}},
        },
    }
    snapshot = run_program("prod", overrides=overrides, secrets={})
    assert snapshot.error is None, snapshot.error
    refs = [
        entry
        for r in snapshot.kubernetes_objects()
        if r.kind == "ExternalSecret"
        for entry in r.inputs["spec"].get("data", [])
        if entry["secretKey"] == "redisPassword_reports"
    ]
    assert refs and all(e["remoteRef"] == {"key": "shiksha/reports", "property": "redis"} for e in refs)
    templates = [
        value
        for r in snapshot.kubernetes_objects()
        if r.kind == "ExternalSecret"
        for value in r.inputs["spec"].get("target", {}).get("template", {}).get("data", {}).values()
    ]
    assert any("{{ (.redisPassword_reports | urlquery" in t for t in templates), templates


def test_a_script_of_the_workload_reaches_only_its_keys(estate: dict[str, Rendered], broker: Redis) -> None:
    """EVALSHA is granted for redis-py's Lock; what a script touches is judged key by key."""
    client(estate, broker, "api", "CELERY_BROKER_URL").set("celery-task-meta-2", "result")
    reports = client(estate, broker, "reports", "REDIS_URL")
    sha = reports.script_load("return redis.call('GET', KEYS[1])")
    assert reports.evalsha(sha, 1, "reports:x") is None
    with pytest.raises(redis_py.exceptions.ResponseError, match="no permissions to access one of the keys"):
        reports.evalsha(sha, 1, "celery-task-meta-2")
