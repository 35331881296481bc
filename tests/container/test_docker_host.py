"""The docker-host target as the real program registers it under mocks: every setting the
production Compose estate had, asserted on the pulumi-docker resources."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.datastores import registry
from components.datastores.postgres.files import PG_HBA, postgres_settings
from components.datastores.redis.acl import redis_users
from tests.support.program import TEST_SECRETS, Recorded, Snapshot, run_program

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
DOCKER_HOST = {"shiksha-setu:target": "docker-host"}


def _sha256(value: str) -> str:
    """The Redis ACL holds passwords as SHA-256 hashes: those are secret too."""
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture(scope="module")
def host() -> Snapshot:
    return run_program("prod", overrides=DOCKER_HOST)


@pytest.fixture(scope="module")
def config() -> Any:
    return parse_estate({"target": "docker-host"})


def _containers(snapshot: Snapshot) -> dict[str, Recorded]:
    return {r.name: r for r in snapshot.of_type(CONTAINER)}


def _env(container: Recorded) -> dict[str, str]:
    return dict(item.split("=", 1) for item in container.inputs["envs"])


def _labels(container: Recorded) -> dict[str, str]:
    return {item["label"]: item["value"] for item in container.inputs["labels"]}


def _networks(container: Recorded) -> set[str]:
    return {n["name"] for n in container.inputs["networksAdvanced"]}


def test_no_kubernetes_objects_on_the_docker_host(host: Snapshot) -> None:
    assert host.kubernetes_objects() == []
    assert host.outputs["target"] == "docker-host"


def test_a_container_for_every_service_and_the_edge(host: Snapshot, config: Any) -> None:
    assert set(_containers(host)) == {*config.enabled_workloads, "nginx"}


def test_networks_frontend_and_internal_backend(host: Snapshot) -> None:
    networks = {r.inputs["name"]: r.inputs for r in host.of_type(NETWORK)}
    assert set(networks) == {"shiksha-frontend", "shiksha-backend"}
    assert networks["shiksha-backend"]["internal"] is True
    assert networks["shiksha-frontend"].get("internal") is False


def test_network_membership(host: Snapshot) -> None:
    containers = _containers(host)
    # Datastores and internal services: backend only, so no route out.
    for name in ("postgres", "redis", "vllm", "beat"):
        assert _networks(containers[name]) == {"shiksha-backend"}, name
    assert _networks(containers["nginx"]) == {"shiksha-frontend"}
    assert _networks(containers["frontend"]) == {"shiksha-frontend"}
    assert _networks(containers["api"]) == {"shiksha-frontend", "shiksha-backend"}
    # The worker calls external services (egressInternet), so it also has the routed network.
    assert _networks(containers["worker"]) == {"shiksha-frontend", "shiksha-backend"}
    for name, container in containers.items():
        for attachment in container.inputs["networksAdvanced"]:
            assert attachment["aliases"] == [name]


@pytest.mark.parametrize("name", ["api", "worker", "beat", "frontend", "vllm", "postgres", "redis", "nginx"])
def test_every_container_is_hardened(host: Snapshot, config: Any, name: str) -> None:
    container = _containers(host)[name].inputs
    assert container["readOnly"] is True
    assert container["securityOpts"] == ["no-new-privileges:true"]
    assert container["capabilities"] == {"drops": ["ALL"]}
    assert container["privileged"] is False
    assert container["restart"] == "unless-stopped"
    assert not container["user"].startswith("0:") and re.fullmatch(r"\d+:\d+", container["user"])
    assert container["memory"] > 0 and container["memorySwap"] == container["memory"]
    assert float(container["cpus"]) > 0
    assert container["logDriver"] == "json-file" and container["logOpts"]["max-size"]
    for path, options in container["tmpfs"].items():
        assert path.startswith("/")
        assert {"rw", "noexec", "nosuid", "nodev"} <= set(options.split(","))
        assert re.search(r"size=\d+m", options)
    check = container["healthcheck"]
    assert check["tests"][0] in ("CMD", "CMD-SHELL")
    for key in ("interval", "timeout", "startPeriod"):
        assert re.fullmatch(r"[1-9]\d*s", check[key]), (key, check[key])
    assert check["retries"] >= 1
    labels = _labels(_containers(host)[name])
    assert labels["shiksha.io/service"] == name
    assert labels["app.kubernetes.io/name"] == name
    assert labels["app.kubernetes.io/part-of"] == config.part_of
    # The running image's own tag (the production pins are all name:tag, some with a digest).
    image = (
        config.images.pinned[config.workloads[name].image]
        if name in config.workloads
        else config.docker_host.nginx.image
    )
    assert labels["app.kubernetes.io/version"] == image.split("@")[0].rsplit(":", 1)[1]


@pytest.mark.parametrize("name", ["api", "worker", "beat", "frontend", "vllm", "postgres", "redis"])
def test_limits_writable_paths_and_health_follow_the_workload_spec(
    host: Snapshot, config: Any, name: str
) -> None:
    spec = config.workloads[name]
    container = _containers(host)[name].inputs
    assert container["memory"] == int(spec.resources.limits.memory[:-2]) * (
        1024 if spec.resources.limits.memory.endswith("Gi") else 1
    )
    assert float(container["cpus"]) * 1000 == pytest.approx(
        int(spec.resources.limits.cpu[:-1])
        if spec.resources.limits.cpu.endswith("m")
        else float(spec.resources.limits.cpu) * 1000
    )
    # Every writable path is writable: a tmpfs, or a named volume where dockerHost.volumePaths says so.
    on_volumes = {v["containerPath"] for v in container.get("volumes") or []}
    assert set(spec.writable_paths) <= set(container["tmpfs"]) | on_volumes
    assert not set(container["tmpfs"]) & on_volumes
    assert container["user"] == f"{spec.security.run_as_user}:{spec.security.run_as_group}"
    probe = spec.probes.readiness or spec.probes.liveness
    check = container["healthcheck"]
    assert check["timeout"] == f"{probe.timeout_seconds}s"
    assert check["interval"] == f"{probe.period_seconds}s"
    if spec.probes.startup:
        assert (
            check["startPeriod"]
            == f"{spec.probes.startup.period_seconds * spec.probes.startup.failure_threshold}s"
        )
    if probe.exec and name != "redis":
        assert check["tests"] == ["CMD", *probe.exec]
    if probe.http_path:
        assert any(f"127.0.0.1:{spec.ports[probe.port]}{probe.http_path}" in part for part in check["tests"])


def test_http_health_checks_use_a_tool_each_image_has(host: Snapshot) -> None:
    containers = _containers(host)
    assert containers["api"].inputs["healthcheck"]["tests"][1] == "curl"
    assert "--max-time" in containers["api"].inputs["healthcheck"]["tests"]
    assert containers["frontend"].inputs["healthcheck"]["tests"][1] == "node"
    assert containers["vllm"].inputs["healthcheck"]["tests"][1] == "python3"


def test_only_nginx_is_published_and_datastores_not_at_all(host: Snapshot) -> None:
    containers = _containers(host)
    published = {name for name, c in containers.items() if c.inputs.get("ports")}
    assert published == {"nginx"}
    ports = containers["nginx"].inputs["ports"]
    assert {(p["internal"], p["external"]) for p in ports} == {(8080, 80), (8443, 443)}


def test_datastores_published_only_on_loopback_when_asked() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            **DOCKER_HOST,
            "shiksha-setu:dockerHost": {"loopbackPorts": {"postgres": 15432, "redis": 16379}},
        },
    )
    containers = _containers(snapshot)
    for name, internal, external in (("postgres", 5432, 15432), ("redis", 6379, 16379)):
        ports = containers[name].inputs["ports"]
        assert [(p["internal"], p["external"], p["ip"]) for p in ports] == [(internal, external, "127.0.0.1")]
    assert {name for name, c in containers.items() if c.inputs.get("ports")} == {"nginx", "postgres", "redis"}
    # Docker publishes nothing from internal-only networks: the datastores join a loopback
    # bridge that binds to 127.0.0.1 and has no masquerading (no route out).
    networks = {r.inputs["name"]: r.inputs for r in snapshot.of_type(NETWORK)}
    loopback = networks["shiksha-loopback"]
    assert loopback["options"] == {
        "com.docker.network.bridge.enable_ip_masquerade": "false",
        "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
    }
    for name in ("postgres", "redis"):
        assert _networks(containers[name]) == {"shiksha-backend", "shiksha-loopback"}
    assert _networks(containers["api"]) == {"shiksha-frontend", "shiksha-backend"}


def test_postgres_tuning_and_scram(host: Snapshot, config: Any) -> None:
    container = _containers(host)["postgres"]
    command = container.inputs["command"]
    # The start script applies the roles, then runs the image's entrypoint with these arguments.
    assert command[:3] == ["bash", "/etc/postgresql/start/start.sh", "postgres"]
    settings = dict(arg.split("=", 1) for arg in command[4::2])
    for key, value in postgres_settings(config.postgres).items():
        assert settings[key] == value
    assert settings["password_encryption"] == "scram-sha-256"
    env = _env(container)
    assert "--auth-host=scram-sha-256" in env["POSTGRES_INITDB_ARGS"]
    # pg_hba.conf is written into a tmpfs at start (the root filesystem is read-only).
    hba_dir = settings["hba_file"].rsplit("/", 1)[0]
    assert hba_dir in container.inputs["tmpfs"]
    script = container.inputs["entrypoints"][2]
    assert f"> {settings['hba_file']}" in script and script.endswith('exec "$@"')
    files = [v for k, v in env.items() if k.startswith("SHIKSHA_FILE_")]
    assert PG_HBA in files
    assert "md5" not in PG_HBA and "trust" not in PG_HBA


def test_postgres_and_redis_keep_data_on_named_volumes(host: Snapshot, config: Any) -> None:
    volumes = {r.inputs["name"] for r in host.of_type(VOLUME)}
    assert volumes == {
        "shiksha-postgres-data",
        "shiksha-redis-data",
        "shiksha-vllm-models",
        "shiksha-vllm-cache",
        # Secret files, uploaded before start (never in the environment).
        "shiksha-postgres-credentials",
        "shiksha-redis-auth",
    }
    containers = _containers(host)
    for name in ("postgres", "redis"):
        mounts = containers[name].inputs["volumes"]
        assert mounts[0] == {
            "volumeName": f"shiksha-{name}-data",
            "containerPath": config.workloads[name].storage.mount_path,
        }


def test_redis_password_and_maxmemory_policy(host: Snapshot, config: Any) -> None:
    container = _containers(host)["redis"]
    env = _env(container)
    files = {v.splitlines()[0]: v for k, v in env.items() if k.startswith("SHIKSHA_FILE_")}
    conf = next(v for v in env.values() if "maxmemory-policy" in v)
    assert f"maxmemory {config.redis.maxmemory}" in conf
    assert f"maxmemory-policy {config.redis.maxmemory_policy}" in conf
    assert not any(v.startswith("user ") for v in env.values()), "the ACL is a file, not an env var"
    (auth,) = container.inputs["uploads"]
    assert auth["file"] == "/etc/redis/auth/auth.conf" and auth["permissions"] == "0400"
    assert redis_users(TEST_SECRETS["redisPassword"], TEST_SECRETS["redisMonitorPassword"]) == auth["content"]
    assert any(path.startswith("uploads[0]") for path in container.secret_paths)
    assert env["REDISCLI_AUTH"] == TEST_SECRETS["redisMonitorPassword"]
    assert files
    assert container.inputs["entrypoints"][0:2] == ["/bin/sh", "-c"]
    assert container.inputs["command"][0] == "redis-server"


def test_secrets_reach_containers_only_as_secrets(host: Snapshot) -> None:
    for container in host.of_type(CONTAINER):
        envs = container.inputs["envs"]
        for index, item in enumerate(envs):
            holds_secret = any(value in item or _sha256(value) in item for value in TEST_SECRETS.values())
            assert holds_secret == (f"envs[{index}]" in container.secret_paths), (container.name, item[:40])
    api = _env(_containers(host)["api"])
    assert TEST_SECRETS["postgresPassword"] in api["DATABASE_URL"]
    assert "@postgres:5432/" in api["DATABASE_URL"]
    assert TEST_SECRETS["redisPassword"] in api["REDIS_URL"]
    # Only what a workload connects to: the frontend gets no credentials at all.
    assert not any(
        v in item for item in _containers(host)["frontend"].inputs["envs"] for v in TEST_SECRETS.values()
    )
    assert not any(v in str(host.outputs) for v in TEST_SECRETS.values())


# Environment variables whose consumer cannot read a file (docs/datastores.md says why).
SECRET_ENV_THAT_STAYS = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDISCLI_AUTH",
}


def test_datastore_secrets_are_files_not_environment(host: Snapshot) -> None:
    containers = _containers(host)
    for name in ("postgres", "redis"):
        env = _env(containers[name])
        leaked = {k for k, v in env.items() if any(s in v or _sha256(s) in v for s in TEST_SECRETS.values())}
        assert leaked <= SECRET_ENV_THAT_STAYS, (name, leaked)
    pg_env = _env(containers["postgres"])
    assert "POSTGRES_PASSWORD" not in pg_env
    uploads = {u["file"]: u["content"] for u in containers["postgres"].inputs["uploads"]}
    assert uploads[pg_env["POSTGRES_PASSWORD_FILE"]] == TEST_SECRETS["postgresAdminPassword"]
    assert uploads["/etc/postgresql/credentials/app-password"] == TEST_SECRETS["postgresPassword"]
    for container in host.of_type(CONTAINER):
        for item in container.inputs["envs"]:
            key = item.split("=", 1)[0]
            if any(s in item for s in TEST_SECRETS.values()):
                assert key in SECRET_ENV_THAT_STAYS, (container.name, key)


def test_nginx_is_the_edge(host: Snapshot, config: Any) -> None:
    nginx = _containers(host)["nginx"].inputs
    conf = next(item.split("=", 1)[1] for item in nginx["envs"] if item.startswith("SHIKSHA_FILE_"))
    assert "worker_rlimit_nofile 65535;" in conf
    assert 'server "api:8000";' in conf and 'server "frontend:3000";' in conf
    assert nginx["ulimits"] == [{"name": "nofile", "soft": 65535, "hard": 65535}]
    assert nginx["volumes"] == [
        {
            "hostPath": config.docker_host.nginx.tls_directory,
            "containerPath": "/etc/nginx/tls",
            "readOnly": True,
        }
    ]
    assert nginx["image"] == config.docker_host.nginx.image
    assert nginx["user"] == "101:101"
    assert nginx["command"][:3] == ["nginx", "-c", "/etc/nginx/generated/nginx.conf"]
    # The public https port (443) is what redirects point to, not the container's 8443.
    assert "return 301 https://$host$request_uri;" in conf


def test_images_are_pulled_pinned(host: Snapshot, config: Any) -> None:
    pulled = {r.inputs["name"] for r in host.of_type(REMOTE_IMAGE)}
    used = {config.images.pinned[s.image] for s in config.enabled_workloads.values()}
    assert pulled == used | {config.docker_host.nginx.image}
    containers = _containers(host)
    for name, spec in config.enabled_workloads.items():
        assert containers[name].inputs["image"] == config.images.pinned[spec.image]


def test_docker_host_is_one_component(host: Snapshot) -> None:
    for resource in host.resources:
        if resource.type.startswith("docker:index/"):
            assert resource.parent_types[-1] == "shiksha:index:DockerHost", resource.urn


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"loopbackPorts": {"ghost": 5432}}, "dockerHost.loopbackPorts.ghost"),
        ({"nginx": {"upstreams": {"api": "10.0.0.5"}}}, "dockerHost.nginx.upstreams.api"),
        ({"restart": "sometimes"}, "dockerHost.restart"),
    ],
)
def test_bad_docker_host_config_names_the_key(override: dict[str, Any], key: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=re.escape(f"shiksha-setu:{key}")):
        run_program("prod", overrides={**DOCKER_HOST, "shiksha-setu:dockerHost": override})


def test_explicit_upstream_address_reaches_nginx() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            **DOCKER_HOST,
            "shiksha-setu:dockerHost": {"nginx": {"upstreams": {"api": "10.0.0.5:8000"}}},
        },
    )
    nginx = _containers(snapshot)["nginx"].inputs
    conf = next(item.split("=", 1)[1] for item in nginx["envs"] if item.startswith("SHIKSHA_FILE_"))
    assert 'server "10.0.0.5:8000";' in conf


def test_model_weights_live_on_volumes_not_tmpfs(host: Snapshot) -> None:
    vllm = _containers(host)["vllm"].inputs
    assert {v["containerPath"]: v["volumeName"] for v in vllm["volumes"]} == {
        "/models": "shiksha-vllm-models",
        "/cache": "shiksha-vllm-cache",
    }
    assert set(vllm["tmpfs"]) == {"/tmp"}
    assert vllm["gpus"] == "all"


def test_postgres_gets_shared_memory(host: Snapshot, config: Any) -> None:
    containers = _containers(host)
    assert containers["postgres"].inputs["shmSize"] == config.docker_host.shm_size_mb["postgres"]
    assert "shmSize" not in containers["api"].inputs


def test_volume_paths_must_be_writable_paths() -> None:
    with pytest.raises(ValueError, match=re.escape("shiksha-setu:dockerHost.volumePaths.api: got '/srv'")):
        run_program(
            "prod", overrides={**DOCKER_HOST, "shiksha-setu:dockerHost": {"volumePaths": {"api": ["/srv"]}}}
        )


# Rolling updates: which containers are replaced create-before-delete, and how.
# The API and the frontend are NGINX route backends: nginx resolves their names once at start,
# so they roll only once the edge re-resolves (components/docker/containers.py).
ROLLING = {"worker"}
ROUTED = {"api", "frontend"}


def _budget(check: dict[str, Any]) -> int:
    """Docker's time to call a container unhealthy, from the registered health check."""
    seconds = {key: int(check[key].removesuffix("s")) for key in ("startPeriod", "interval", "timeout")}
    return seconds["startPeriod"] + check["retries"] * (seconds["interval"] + seconds["timeout"])


@pytest.mark.parametrize("name", sorted(ROLLING))
def test_stateless_services_roll_create_before_delete(host: Snapshot, name: str) -> None:
    container = _containers(host)[name]
    assert container.options["deleteBeforeReplace"] is False
    # Auto-named, so the replacement's name differs from the container it replaces...
    assert "name" not in container.inputs
    # ...and peers reach whichever runs through the stable alias on every network.
    assert all(n["aliases"] == [name] for n in container.inputs["networksAdvanced"])
    # The update waits for the new container's health check, as long as Docker may take.
    assert container.inputs["wait"] is True
    assert container.inputs["waitTimeout"] == _budget(container.inputs["healthcheck"]) > 0


def test_exclusive_and_stateful_containers_keep_delete_before_replace(host: Snapshot, config: Any) -> None:
    containers = _containers(host)
    # The datastores (asked from the registry), the singleton scheduler, the GPU model server
    # with its weights on volumes, and the edge that publishes the host's ports.
    kept = {*(set(registry.roles()) & set(containers)), "beat", "vllm", "nginx", *ROUTED}
    assert config.workloads["beat"].singleton
    assert {n for n, c in containers.items() if c.options["deleteBeforeReplace"]} == kept
    assert set(containers) - kept == ROLLING
    for name in kept:
        inputs = containers[name].inputs
        # A fixed name: only one container exists at a time. Still a health-gated update.
        assert inputs["name"] == f"shiksha-{name}"
        assert inputs["wait"] is True and inputs["waitTimeout"] == _budget(inputs["healthcheck"])
    # The persistent volumes are still protected and kept on delete.
    for volume in host.of_type(VOLUME):
        if volume.name.endswith("-data"):
            assert volume.options["protect"] is True and volume.options["retainOnDelete"] is True


def test_a_loopback_port_or_no_health_check_stops_rolling() -> None:
    def snapshot(host: dict[str, Any]) -> dict[str, Recorded]:
        return _containers(run_program("prod", overrides={**DOCKER_HOST, "shiksha-setu:dockerHost": host}))

    # With its route sent to an address outside the estate, nginx pins no IP of the API: it rolls.
    outside = {"nginx": {"upstreams": {"api": "10.0.0.5:8000"}}}
    assert snapshot(outside)["api"].options["deleteBeforeReplace"] is False
    containers = snapshot({**outside, "loopbackPorts": {"api": 18000}, "healthchecks": {"worker": ["NONE"]}})
    # Two containers cannot bind one host port: the API is replaced delete-first.
    assert containers["api"].options["deleteBeforeReplace"] is True
    assert containers["api"].inputs["name"] == "shiksha-api"
    # Without a health check nothing proves the replacement works, and the provider cannot wait.
    worker = containers["worker"]
    assert worker.options["deleteBeforeReplace"] is True
    assert worker.inputs.get("wait") is False and "waitTimeout" not in worker.inputs
