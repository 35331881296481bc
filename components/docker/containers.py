"""Workload containers of the docker-host target, as plain data, from the plan.

The same workload specs, datastore settings and edge intent as the Kubernetes target become:
- a frontend network and an internal backend network (`internal: true`: no route out);
- one hardened container per workload (read-only root with tmpfs for the paths it
  writes, no-new-privileges, every capability dropped, memory/CPU limits, a health check
  with timeout and start period, a restart policy, service-discovery labels);
- datastores on the backend network only, published at most on 127.0.0.1;
- named volumes for data.

Config files cannot be copied into a read-only root filesystem, so each container writes
them into a tmpfs at start from environment variables, then execs the real command.
Secret files (datastore credentials and ACL users) are uploaded into a volume of their own
instead, so `docker inspect` never shows them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from components.config.docker_host import IMAGE_ENTRYPOINTS, DockerHostSpec
from components.config.estate import EstateConfig
from components.config.workloads import ProbeSpec, WorkloadSpec
from components.datastores import registry
from components.docker.spec import (
    ContainerSpec,
    Healthcheck,
    Port,
    SecretValue,
    Upload,
    WrittenFiles,
    cpus,
    mb,
    rolling_update_allowed,
    tmpfs_options,
)
from components.kube.labels import recommended_labels
from components.plan.volumes import docker_volumes
from components.plan.workload import PlannedWorkload
from components.values.secret_text import secret

FRONTEND = "frontend"
BACKEND = "backend"
LOOPBACK = "loopback"


def networks_of(name: str, config: EstateConfig) -> list[str]:
    """The networks a workload joins. Datastores and anything only called internally stay on
    the internal backend network; the edge's backends and internet users join the frontend."""
    spec = config.workloads[name]
    enabled = config.enabled_workloads
    nets = []
    if spec.connects_to or any(name in other.connects_to for other in enabled.values()):
        nets.append(BACKEND)
    if any(route.backend == name for route in config.edge.route_list) or spec.egress_internet:
        nets.append(FRONTEND)
    nets = nets or [BACKEND]
    if name in config.docker_host.loopback_ports:
        nets.append(LOOPBACK)
    return nets


# HTTP health checks per tool. The URL is never part of the program text: it is the last
# argument (process.argv[1] in `node -e`, sys.argv[1] in `python3 -c`), and Docker's exec
# form runs no shell, so a quote or `$(...)` in a probe path is just a character of the
# URL. curl gets --globoff so `{}` and `[]` in the path are not curl's URL globbing.
_NODE_CHECK = (
    "const t=Number(process.argv[2]);"
    "require('http').get(process.argv[1],{timeout:t},r=>process.exit(r.statusCode<400?0:1))"
    ".on('timeout',()=>process.exit(1)).on('error',()=>process.exit(1))"
)
_PYTHON_CHECK = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))"


def _http_check(tool: str, url: str, timeout: int) -> list[str]:
    if tool == "curl":
        return [
            "CMD",
            "curl",
            "--fail",
            "--silent",
            "--show-error",
            "--globoff",
            "--max-time",
            str(timeout),
            "--",
            url,
        ]
    if tool == "node":
        return ["CMD", "node", "-e", _NODE_CHECK, url, str(timeout * 1000)]
    return ["CMD", "python3", "-c", _PYTHON_CHECK, url, str(timeout)]


def healthcheck(name: str, spec: WorkloadSpec, host: DockerHostSpec) -> Healthcheck:
    """Docker has one health check; it takes the readiness probe's check and the liveness
    probe's patience, and the startup probe's budget as the start period."""
    probes = spec.effective_probes
    override = host.healthchecks.get(name)
    # Without a probe (the gate then guarantees an override), the probe defaults' timing.
    probe = probes.readiness or probes.liveness or ProbeSpec(exec=list(override or ["true"]))
    if override:
        tests = list(override)
    elif probe.exec is not None:
        tests = ["CMD", *probe.exec]
    elif probe.http_path is not None:
        assert probe.port is not None
        url = f"http://127.0.0.1:{spec.ports[probe.port]}{probe.http_path}"
        tool = host.http_health_tool.get(spec.image, "curl")
        tests = _http_check(tool, url, probe.timeout_seconds)
    else:
        assert probe.port is not None
        tests = ["CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{spec.ports[probe.port]}"]
    if probes.startup is not None:
        start = probes.startup.period_seconds * probes.startup.failure_threshold
    else:
        start = max(probe.initial_delay_seconds, 10)
    retries = (probes.liveness or probe).failure_threshold
    return Healthcheck(
        tests=tests,
        interval=f"{probe.period_seconds}s",
        timeout=f"{probe.timeout_seconds}s",
        start_period=f"{start}s",
        retries=retries,
    )


def service_labels(
    name: str,
    component: str,
    networks: list[str],
    ports: Mapping[str, int],
    config: EstateConfig,
    version: str | None,
) -> dict[str, str]:
    """The labels service discovery reads: who it is, its networks and its named ports;
    `version` is the running image's (ImagesSpec.version_of)."""
    return {
        **recommended_labels(name, component, config.part_of, version),
        "shiksha.io/service": name,
        "shiksha.io/networks": ",".join(networks),
        **{f"shiksha.io/port.{port_name}": str(port) for port_name, port in ports.items()},
    }


def _edge_pins_address(name: str, config: EstateConfig) -> bool:
    """True while NGINX proxies to this workload through an `upstream` block: nginx resolves
    those names once at start (re-resolving needs `server ... resolve`, nginx >= 1.27.3), so a
    replacement on a new IP, as a rolling update always gets, would leave the edge sending
    to the removed container. Delete-before-replace until the edge re-resolves."""
    return any(route.backend == name for route in config.edge.route_list) and (
        name not in config.docker_host.nginx.upstreams
    )


def workload_container(
    planned: PlannedWorkload, config: EstateConfig, available_secrets: Collection[str]
) -> ContainerSpec:
    """One hardened container for a planned workload. `available_secrets` names the estate
    secrets the stack holds (the optional ones may be absent)."""
    name, spec = planned.name, planned.spec
    host = config.docker_host
    tmpfs_opts = tmpfs_options(host.tmpfs_size)
    volumes = docker_volumes(planned, host)
    on_volumes = host.volume_paths.get(name, [])
    tmpfs = {path: tmpfs_opts for path in spec.writable_paths if path not in on_volumes}
    env: dict[str, str] = dict(spec.env)
    secret_env: dict[str, SecretValue] = dict(planned.secret_env)
    for var, key in registry.container_secret_env(name).items():
        # The container's own tools read it (the broker's health check logs in as its
        # read-only monitoring user).
        if key in available_secrets:
            secret_env[var] = secret(key)

    written = WrittenFiles()
    uploads = []
    for group in planned.files:
        if group.secret:
            # Never through the environment, where `docker inspect` shows it: uploaded into
            # a volume of its own (docker_volumes; Docker copies into a volume even when the
            # root is read-only).
            uploads += [
                Upload(
                    f"{group.mount_path}/{filename}",
                    content,
                    str(spec.security.run_as_user),
                    str(spec.security.run_as_group),
                )
                for filename, content in sorted(group.secret_values().items())
            ]
        else:
            written.add(group.mount_path, group.plain_values())
            tmpfs[group.mount_path] = tmpfs_opts
    entrypoints = list(spec.command) if spec.command is not None else None
    command = list(spec.args or [])
    if written.lines:
        # The config gate guarantees a command or a known image entrypoint here.
        original = entrypoints if entrypoints is not None else IMAGE_ENTRYPOINTS[spec.image]
        entrypoints, command = written.wrap([*original, *command])
        env.update(written.env)
        secret_env.update(written.secret_env)

    ports = []
    if name in host.loopback_ports:
        ports.append(Port(next(iter(spec.ports.values())), host.loopback_ports[name], "127.0.0.1"))

    networks = networks_of(name, config)
    version = config.images.version_of(spec.image, config.version)
    labels = service_labels(name, spec.component, networks, spec.ports, config, version)
    if "metrics" in spec.ports:
        labels["prometheus.io/scrape"] = "true"
        labels["prometheus.io/port"] = str(spec.ports["metrics"])

    grace = spec.termination_grace_period_seconds
    container = ContainerSpec(
        resource_name=name,
        name=f"{host.name_prefix}-{name}",
        hostname=name,
        image=spec.image,
        image_is_key=True,
        pull_key=spec.image,
        entrypoints=entrypoints,
        command=command or None,
        env=env,
        secret_env=secret_env,
        user=f"{spec.security.run_as_user}:{spec.security.run_as_group}",
        read_only=spec.security.read_only_root_filesystem,
        tmpfs=tmpfs,
        memory_mb=mb(spec.resources.limits.memory),
        memory_reservation_mb=mb(spec.resources.requests.memory),
        cpus=cpus(spec.resources.limits.cpu),
        gpus="all" if spec.gpu is not None else None,
        shm_size=host.shm_size_mb.get(name),
        healthcheck=healthcheck(name, spec, host),
        restart=host.restart,
        max_retry_count=5 if host.restart == "on-failure" else None,
        stop_timeout=grace,
        destroy_grace_seconds=grace,
        labels=labels,
        networks=networks,
        log_opts={"max-size": host.log_max_size, "max-file": str(host.log_max_files)},
        ports=ports,
        volumes=volumes,
        uploads=uploads,
    )
    # Delete-before-replace where the Kubernetes target never runs two pods either: a datastore
    # (two servers must never share its data directory), a StatefulSet, a singleton (two
    # schedulers would enqueue every periodic task twice while they overlap).
    exclusive = registry.datastore_of(name) is not None or spec.kind == "StatefulSet" or spec.singleton
    container.rolling = rolling_update_allowed(exclusive, container) and not _edge_pins_address(name, config)
    return container


def workload_containers(
    workloads: dict[str, PlannedWorkload], config: EstateConfig, available_secrets: Collection[str]
) -> list[ContainerSpec]:
    return [workload_container(w, config, available_secrets) for w in workloads.values()]
