"""The single-host Docker target: the production Compose estate, built with pulumi-docker.

For schools or regions that run one machine instead of a cluster. The same workload
specs, datastore settings and edge intent as the Kubernetes target become:

- a frontend network and an internal backend network (`internal: true`: no route out);
- one hardened container per workload (read-only root with tmpfs for the paths it
  writes, no-new-privileges, every capability dropped, memory/CPU limits, a health check
  with timeout and start period, a restart policy, service-discovery labels);
- PostgreSQL (tuned, SCRAM-SHA-256) and Redis (password, maxmemory policy) on the
  backend network only, published at most on 127.0.0.1;
- named volumes for data, and NGINX as the only published entry point.

Config files (pg_hba.conf, redis.conf, nginx.conf) cannot be copied into a read-only
root filesystem, so each container writes them into a tmpfs at start from environment
variables, then execs the real command. Secret files (database credentials, the Redis
ACL) are uploaded into a volume of their own instead, so `docker inspect` never shows
them; what must stay an environment variable is in docs/datastores.md. Secrets are Pulumi
secret Outputs throughout, never literals.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.config.datastores import BROKER
from components.config.docker_host import IMAGE_ENTRYPOINTS, DockerHostSpec
from components.config.estate import EstateConfig
from components.config.secrets import EstateSecrets
from components.config.types import cpu_millicores, memory_bytes
from components.config.workloads import ProbeSpec, WorkloadSpec
from components.estate import Estate
from components.images import image_refs
from components.kube.labels import recommended_labels
from components.render.nginx import Listen, NginxPaths, origin_auth_map, render_nginx_conf
from components.secure_deployment import ConfigFiles
from components.wiring import wire

FRONTEND = "frontend"
BACKEND = "backend"
LOOPBACK = "loopback"
# nginx-unprivileged listens above 1024 and runs as uid/gid 101, so no capability is needed.
NGINX_UID = 101
NGINX_HTTP, NGINX_HTTPS = 8080, 8443
NGINX_CONF_DIR = "/etc/nginx/generated"
NGINX_TLS_DIR = "/etc/nginx/tls"
CDN_ORIGIN_AUTH_FILE = "cdn-origin-auth.conf"


def _mb(quantity: str) -> int:
    return max(6, memory_bytes(quantity) // 2**20)


def _cpus(quantity: str) -> str:
    return f"{cpu_millicores(quantity) / 1000:g}"


def _seconds(value: int) -> str:
    return f"{value}s"


def networks_of(name: str, config: EstateConfig) -> list[str]:
    """The networks a workload joins. Datastores and anything only called internally stay on
    the internal backend network; the edge's backends and internet users join the frontend."""
    spec = config.workloads[name]
    enabled = config.enabled_workloads
    nets = []
    if spec.connects_to or any(name in other.connects_to for other in enabled.values()):
        nets.append(BACKEND)
    if any(route.backend == name for route in config.edge.routes) or spec.egress_internet:
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


def healthcheck(name: str, spec: WorkloadSpec, host: DockerHostSpec) -> docker.ContainerHealthcheckArgs:
    """Docker has one health check; it takes the readiness probe's check and the liveness
    probe's patience, and the startup probe's budget as the start period."""
    probes = spec.probes
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
    return docker.ContainerHealthcheckArgs(
        tests=tests,
        interval=_seconds(probe.period_seconds),
        timeout=_seconds(probe.timeout_seconds),
        start_period=_seconds(start),
        # Frequent checks while starting, so a ready service is marked healthy quickly.
        start_interval="2s",
        retries=retries,
    )


@dataclass
class _Files:
    """Files written into tmpfs directories at container start, from environment variables."""

    env: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_env: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)

    def add(self, directory: str, files: Mapping[str, pulumi.Input[str]], secret: bool = False) -> None:
        self.directories.append(directory)
        for filename, content in files.items():
            var = f"SHIKSHA_FILE_{len(self.env) + len(self.secret_env)}"
            (self.secret_env if secret else self.env)[var] = content
            self.lines.append(f'printf "%s" "${var}" > {shlex.quote(f"{directory}/{filename}")}')

    def wrap(self, command: Sequence[str]) -> tuple[list[str], list[str]]:
        """(entrypoints, command): write the files, drop their variables, exec the command."""
        names = " ".join(sorted([*self.env, *self.secret_env]))
        script = " && ".join([*self.lines, f"unset {names}", 'exec "$@"'])
        return ["/bin/sh", "-c", script, "sh"], list(command)


def _labels(values: Mapping[str, str]) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(values.items())]


def _env(
    plain: Mapping[str, pulumi.Input[str]], secret: Mapping[str, pulumi.Input[str]]
) -> list[pulumi.Input[str]]:
    envs: list[pulumi.Input[str]] = [
        f"{k}={v}" if isinstance(v, str) else pulumi.Output.concat(k, "=", v)
        for k, v in sorted(plain.items())
    ]
    for key, value in sorted(secret.items()):
        # Each secret variable stays a secret Output (and the state encrypts it).
        envs.append(pulumi.Output.secret(pulumi.Output.concat(key, "=", value)))
    return envs


class DockerHost(pulumi.ComponentResource):
    """Networks, volumes, image pulls and containers of the docker-host target."""

    def __init__(
        self,
        name: str,
        config: EstateConfig,
        secrets: EstateSecrets,
        refs: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("shiksha:index:DockerHost", name, None, opts)
        host = config.docker_host
        prefix = host.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        common = {"app.kubernetes.io/part-of": config.part_of, "app.kubernetes.io/managed-by": "pulumi"}

        def network(key: str, internal: bool, options: dict[str, str] | None = None) -> docker.Network:
            return docker.Network(
                f"{prefix}-{key}",
                name=f"{prefix}-{key}",
                driver="bridge",
                internal=internal,
                options=options,
                labels=[docker.NetworkLabelArgs(label=k, value=v) for k, v in sorted(common.items())],
                opts=child,
            )

        self.networks = {
            FRONTEND: network(FRONTEND, internal=False),
            # No gateway out: the datastores and internal services cannot reach the internet.
            BACKEND: network(BACKEND, internal=True),
        }
        if host.loopback_ports:
            # Docker publishes no port of a container that is only on internal networks
            # (moby/moby#36174). This bridge exists only for the loopback ports: bindings
            # default to 127.0.0.1 and, without masquerading, it gives no route out either.
            self.networks[LOOPBACK] = network(
                LOOPBACK,
                internal=False,
                options={
                    "com.docker.network.bridge.enable_ip_masquerade": "false",
                    "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
                },
            )

        pulls: dict[str, docker.RemoteImage] = {}

        def pull(key: str, ref: pulumi.Input[str]) -> docker.RemoteImage:
            if key not in pulls:
                pulls[key] = docker.RemoteImage(
                    f"{prefix}-image-{key}", name=ref, keep_locally=True, opts=child
                )
            return pulls[key]

        self.containers: dict[str, docker.Container] = {}
        self.volumes: dict[str, docker.Volume] = {}
        for workload in config.enabled_workloads:
            wiring = wire(workload, config)
            spec = wiring.spec
            self.containers[workload] = self._container(
                workload,
                spec,
                [files.resolved(secrets.values) for files in wiring.files],
                {var: value.resolve(secrets.values) for var, value in wiring.secret_env.items()},
                config,
                secrets,
                refs[spec.image],
                pull(spec.image, refs[spec.image]),
                common,
            )

        self.edge = self._nginx(config, secrets, pull("nginx", host.nginx.image), common)
        self.register_outputs({})

    def _container(
        self,
        name: str,
        spec: WorkloadSpec,
        files: Sequence[ConfigFiles],
        secret_env: Mapping[str, pulumi.Input[str]],
        config: EstateConfig,
        secrets: EstateSecrets,
        image: pulumi.Input[str],
        pulled: docker.RemoteImage,
        common: Mapping[str, str],
    ) -> docker.Container:
        host = config.docker_host
        prefix = host.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        tmpfs_opts = f"rw,noexec,nosuid,nodev,size={_mb(host.tmpfs_size)}m"
        on_volumes = host.volume_paths.get(name, [])
        tmpfs = {path: tmpfs_opts for path in spec.writable_paths if path not in on_volumes}
        env: dict[str, pulumi.Input[str]] = dict(spec.env)
        secret = dict(secret_env)
        if name == BROKER and secrets.get("redisMonitorPassword") is not None:
            # redis-cli reads it: the health check logs in as the read-only monitoring user.
            secret["REDISCLI_AUTH"] = secrets["redisMonitorPassword"]

        written = _Files()
        secret_groups = [group for group in files if group.secret]
        for group in files:
            if not group.secret:
                written.add(group.mount_path, group.plain_values())
                tmpfs[group.mount_path] = tmpfs_opts
        if spec.command is not None:
            entrypoints: list[str] | None = list(spec.command)
            command = list(spec.args or [])
        else:
            entrypoints = None
            command = list(spec.args or [])
        if written.lines:
            # The config gate guarantees a command or a known image entrypoint here.
            original = entrypoints if entrypoints is not None else IMAGE_ENTRYPOINTS[spec.image]
            entrypoints, command = written.wrap([*original, *command])
            env.update(written.env)
            secret.update(written.secret_env)

        volumes = []
        if spec.storage is not None:
            volume = docker.Volume(
                f"{prefix}-{name}-data",
                name=f"{prefix}-{name}-data",
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(common.items())],
                # Data outlives any `pulumi destroy` mistake: removing it is a deliberate act.
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            self.volumes[name] = volume
            volumes.append(
                docker.ContainerVolumeArgs(volume_name=volume.name, container_path=spec.storage.mount_path)
            )
        for path in on_volumes:
            suffix = path.strip("/").replace("/", "-")
            volume = docker.Volume(
                f"{prefix}-{name}-{suffix}",
                name=f"{prefix}-{name}-{suffix}",
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(common.items())],
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            self.volumes[f"{name}-{suffix}"] = volume
            volumes.append(docker.ContainerVolumeArgs(volume_name=volume.name, container_path=path))

        # Secret files (credentials, the Redis ACL) never pass through the environment, where
        # `docker inspect` shows them: they are uploaded into a volume of their own before the
        # container starts (Docker copies into a volume even when the root is read-only).
        uploads = []
        for group in secret_groups:
            volume = docker.Volume(
                f"{prefix}-{name}-{group.name}",
                name=f"{prefix}-{name}-{group.name}",
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(common.items())],
                opts=child,
            )
            volumes.append(
                docker.ContainerVolumeArgs(volume_name=volume.name, container_path=group.mount_path)
            )
            uploads += [
                docker.ContainerUploadArgs(
                    file=f"{group.mount_path}/{filename}",
                    content=pulumi.Output.secret(content),
                    owner=str(spec.security.run_as_user),
                    group=str(spec.security.run_as_group),
                    permissions="0400",
                )
                for filename, content in sorted(group.files.items())
            ]

        ports = []
        if name in host.loopback_ports:
            internal = next(iter(spec.ports.values()))
            ports.append(
                docker.ContainerPortArgs(
                    internal=internal, external=host.loopback_ports[name], ip="127.0.0.1"
                )
            )

        labels = {
            **recommended_labels(name, spec.component, config.part_of, config.version),
            "shiksha.io/service": name,
            "shiksha.io/networks": ",".join(networks_of(name, config)),
            **{f"shiksha.io/port.{port_name}": str(port) for port_name, port in spec.ports.items()},
        }
        if "metrics" in spec.ports:
            labels["prometheus.io/scrape"] = "true"
            labels["prometheus.io/port"] = str(spec.ports["metrics"])

        grace = spec.termination_grace_period_seconds
        return docker.Container(
            name,
            name=f"{prefix}-{name}",
            hostname=name,
            image=image,
            entrypoints=entrypoints,
            command=command or None,
            envs=_env(env, secret),
            user=f"{spec.security.run_as_user}:{spec.security.run_as_group}",
            read_only=spec.security.read_only_root_filesystem,
            tmpfs=tmpfs,
            security_opts=["no-new-privileges:true"],
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            privileged=False,
            memory=_mb(spec.resources.limits.memory),
            memory_reservation=_mb(spec.resources.requests.memory),
            # No swap beyond the limit: memory_swap equal to memory.
            memory_swap=_mb(spec.resources.limits.memory),
            cpus=_cpus(spec.resources.limits.cpu),
            gpus="all" if spec.gpu is not None else None,
            shm_size=host.shm_size_mb.get(name),
            healthcheck=healthcheck(name, spec, host),
            restart=host.restart,
            max_retry_count=5 if host.restart == "on-failure" else None,
            stop_timeout=grace,
            destroy_grace_seconds=grace,
            labels=_labels(labels),
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self.networks[net].name, aliases=[name])
                for net in networks_of(name, config)
            ],
            ports=ports or None,
            volumes=volumes or None,
            uploads=uploads or None,
            log_driver="json-file",
            log_opts={"max-size": host.log_max_size, "max-file": str(host.log_max_files)},
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[pulled], delete_before_replace=True)
            ),
        )

    def _nginx(
        self,
        config: EstateConfig,
        secrets: EstateSecrets,
        pulled: docker.RemoteImage,
        common: Mapping[str, str],
    ) -> docker.Container:
        host = config.docker_host
        settings = host.nginx
        upstreams = {}
        for route in config.edge.routes:
            explicit = settings.upstreams.get(route.backend)
            upstreams[route.backend] = (
                explicit or f"{route.backend}:{config.workloads[route.backend].ports[route.port]}"
            )
        conf = render_nginx_conf(
            config.edge,
            settings,
            upstreams,
            NginxPaths(
                pid="/tmp/nginx.pid",
                cert=f"{NGINX_TLS_DIR}/tls.crt",
                key=f"{NGINX_TLS_DIR}/tls.key",
                trusted_cert=f"{NGINX_TLS_DIR}/chain.crt",
                temp_dir="/tmp",
                cdn_origin_auth=f"{NGINX_CONF_DIR}/{CDN_ORIGIN_AUTH_FILE}",
            ),
            Listen(http_port=NGINX_HTTP, https_port=NGINX_HTTPS, public_https_port=host.https_port),
            cdn=config.cdn,
        )
        self.nginx_conf = conf
        written = _Files()
        written.add(NGINX_CONF_DIR, {"nginx.conf": conf})
        if config.cdn.enabled:
            # The shared origin-auth value reaches nginx only as a secret file, never in nginx.conf.
            cdn = config.cdn
            auth = secrets["cdnOriginAuth"].apply(lambda value: origin_auth_map(cdn, value))
            written.add(NGINX_CONF_DIR, {CDN_ORIGIN_AUTH_FILE: pulumi.Output.secret(auth)}, secret=True)
        entrypoints, command = written.wrap(
            ["nginx", "-c", f"{NGINX_CONF_DIR}/nginx.conf", "-g", "daemon off;"]
        )
        tmpfs_opts = f"rw,noexec,nosuid,nodev,size={_mb(host.tmpfs_size)}m"
        name = "nginx"
        labels = {
            **recommended_labels(name, "edge", config.part_of, config.version),
            "shiksha.io/service": name,
            "shiksha.io/networks": FRONTEND,
            "shiksha.io/port.http": str(NGINX_HTTP),
            "shiksha.io/port.https": str(NGINX_HTTPS),
        }
        backends = [
            self.containers[b]
            for b in sorted(upstreams)
            if b in self.containers and b not in settings.upstreams
        ]
        return docker.Container(
            name,
            name=f"{host.name_prefix}-{name}",
            hostname=name,
            image=settings.image,
            entrypoints=entrypoints,
            command=command,
            envs=_env(written.env, written.secret_env),
            user=f"{NGINX_UID}:{NGINX_UID}",
            read_only=True,
            tmpfs={"/tmp": tmpfs_opts, NGINX_CONF_DIR: tmpfs_opts, "/var/cache/nginx": tmpfs_opts},
            security_opts=["no-new-privileges:true"],
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            privileged=False,
            memory=_mb(settings.memory),
            memory_swap=_mb(settings.memory),
            cpus=_cpus(settings.cpus),
            # Matches worker_rlimit_nofile, which nginx cannot raise above the container's limit.
            ulimits=[
                docker.ContainerUlimitArgs(
                    name="nofile", soft=settings.worker_rlimit_nofile, hard=settings.worker_rlimit_nofile
                )
            ],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{NGINX_HTTPS}"],
                interval="10s",
                timeout="3s",
                start_period="10s",
                start_interval="2s",
                retries=3,
            ),
            restart=host.restart,
            stop_signal="SIGQUIT",
            stop_timeout=30,
            labels=_labels(labels),
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self.networks[FRONTEND].name, aliases=[name])
            ],
            # The only container published beyond loopback: the estate's one entry point.
            ports=[
                docker.ContainerPortArgs(internal=NGINX_HTTP, external=host.http_port, ip=host.bind_address),
                docker.ContainerPortArgs(
                    internal=NGINX_HTTPS, external=host.https_port, ip=host.bind_address
                ),
            ],
            volumes=[
                docker.ContainerVolumeArgs(
                    host_path=settings.tls_directory, container_path=NGINX_TLS_DIR, read_only=True
                )
            ],
            log_driver="json-file",
            log_opts={"max-size": host.log_max_size, "max-file": str(host.log_max_files)},
            # nginx resolves its upstreams at start: the backends' containers must exist first.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[pulled, *backends], delete_before_replace=True
            ),
        )


def build_docker_host_estate(config: EstateConfig, secrets: EstateSecrets) -> Estate:
    host = config.docker_host
    provider = docker.Provider("docker", host=host.host) if host.host else docker.Provider("docker")
    with_provider = pulumi.ResourceOptions(providers={"docker": provider})
    refs = image_refs(config, secrets)
    estate = DockerHost("docker-host", config, secrets, refs, opts=with_provider)
    return Estate(
        {
            "target": "docker-host",
            "networks": {key: net.name for key, net in estate.networks.items()},
            "containers": {key: c.name for key, c in {**estate.containers, "nginx": estate.edge}.items()},
            "volumes": {key: v.name for key, v in estate.volumes.items()},
            "images": {name: refs[spec.image] for name, spec in config.enabled_workloads.items()},
            "entrypoint": f"https://{config.edge.hosts[0]}",
        }
    )
