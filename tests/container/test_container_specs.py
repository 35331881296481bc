"""The docker-host target's pure container builder (components/docker/), from the plan,
without a Pulumi runtime."""

from __future__ import annotations

from components.config.loader import parse_estate
from components.docker.containers import BACKEND, workload_container
from components.docker.nginx import nginx_container
from components.plan.estate import plan
from components.values.secret_text import SecretText
from tests.plan.test_plan import REPORTS

ALL_SECRETS = ("postgresPassword", "redisPassword", "redisMonitorPassword", "postgresAdminPassword")


def test_a_new_workload_becomes_a_hardened_scraped_container() -> None:
    config = parse_estate({"target": "docker-host", "workloads": {"reports": REPORTS}})
    spec = workload_container(plan(config).workloads["reports"], config, ALL_SECRETS)
    assert spec.labels["prometheus.io/scrape"] == "true"
    assert spec.labels["prometheus.io/port"] == "9400"
    assert spec.networks == [BACKEND]
    assert spec.memory_mb == 256
    assert all("noexec" in options for options in spec.tmpfs.values())
    # Its database URL is a recipe resolved by DockerHost into a secret Output.
    assert isinstance(spec.secret_env["DATABASE_URL"], SecretText)
    # In plain environment only its pool's sizes, never the URL.
    assert {k for k in spec.env if "DATABASE" in k} == {"DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW"}


def test_secret_files_are_uploads_never_environment() -> None:
    config = parse_estate({"target": "docker-host"})
    postgres = workload_container(plan(config).workloads["postgres"], config, ALL_SECRETS)
    uploaded = {u.file.rsplit("/", 1)[1] for u in postgres.uploads}
    assert uploaded and all(u.permissions == "0400" for u in postgres.uploads)
    # The credentials volume is not kept (no protect): it is rewritten from config each time.
    credentials = [v for v in postgres.volumes if v.name.endswith("-credentials")]
    assert [v.persistent for v in credentials] == [False]
    assert [v.persistent for v in postgres.volumes if v.name.endswith("-data")] == [True]
    # Plain config files are written from variables that hold no secret recipe.
    assert all(isinstance(v, str) for v in postgres.env.values())


def test_the_broker_health_check_login_only_when_the_secret_exists() -> None:
    config = parse_estate({"target": "docker-host"})
    redis = plan(config).workloads["redis"]
    assert "REDISCLI_AUTH" in workload_container(redis, config, ALL_SECRETS).secret_env
    assert "REDISCLI_AUTH" not in workload_container(redis, config, ["redisPassword"]).secret_env


def test_nginx_waits_for_the_routed_containers_and_without_a_cdn_holds_no_secret() -> None:
    config = parse_estate({"target": "docker-host"})
    estate = plan(config)
    edge = nginx_container(config, estate.routes, set(estate.platform))
    assert edge.depends_on == sorted({r.backend for r in estate.routes})
    assert edge.secret_env == {}
    assert [p.internal for p in edge.ports] == [8080, 8443]


def test_rolling_is_decided_per_workload_from_the_plan() -> None:
    config = parse_estate({"target": "docker-host", "workloads": {"reports": REPORTS}})
    estate = plan(config)

    def rolling(name: str) -> bool:
        return workload_container(estate.workloads[name], config, ALL_SECRETS).rolling

    # A new stateless workload rolls without anyone listing it anywhere.
    assert rolling("reports") and rolling("worker")
    # NGINX resolves its route backends once at start: they keep delete-before-replace.
    assert not rolling("api") and not rolling("frontend")
    # The singleton scheduler and the GPU model server with volumes do not.
    assert not rolling("beat") and not rolling("vllm")
    edge = nginx_container(config, estate.routes, set(estate.workloads))
    assert not edge.rolling
    # The wait budget: start period 10s, then 3 failed checks of 10s interval + 3s timeout.
    assert edge.healthcheck.budget_seconds() == 49
