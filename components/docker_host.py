"""DockerHost: the single-host Docker target's networks, volumes, image pulls and containers.

For schools or regions that run one machine instead of a cluster. The containers are planned
as plain data (components/docker/: containers.py, nginx.py); this component only registers
them with pulumi-docker, applying the hardening every container shares in one place, and
resolves the secret recipes into secret Outputs (never literals; the state encrypts them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components.docker.containers import BACKEND, FRONTEND, LOOPBACK
from components.docker.spec import ContainerSpec, DerivedSecret, SecretValue, Volume


@dataclass(frozen=True)
class DockerHostArgs:
    """What runs on the machine, as plain ContainerSpecs (components/docker/ builds them):
    the workloads' containers and the edge, the references of their image keys, and the
    secret values their recipes name. The hardening every container shares is not an
    argument: DockerHost applies it to each."""

    # The workloads' containers; a container's depends_on names earlier ones.
    containers: Sequence[ContainerSpec]
    # The edge (NGINX), registered last: it may wait for any workload container.
    edge: ContainerSpec
    # The prefix of every network's name (`<prefix>-frontend`, `<prefix>-backend`).
    name_prefix: str
    # The app.kubernetes.io/part-of label of the networks and volumes.
    part_of: str
    # Image key -> reference, for the containers whose `image_is_key`.
    images: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Secret name -> value (secret Outputs), for the containers' secret recipes.
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    # A third bridge for ports published on 127.0.0.1 only (no route out); off by default.
    loopback: bool = False


def _secret_keys(value: SecretValue) -> list[str]:
    return [value.key] if isinstance(value, DerivedSecret) else value.keys


def _problems(args: DockerHostArgs) -> list[str]:
    """What of the Args would fail half-way through registering, found before anything is."""
    problems = []
    networks = {FRONTEND, BACKEND, *([LOOPBACK] if args.loopback else [])}
    earlier: set[str] = set()
    for spec in [*args.containers, args.edge]:
        where = f"container {spec.resource_name}"
        if spec.image_is_key and spec.image not in args.images:
            known = ", ".join(sorted(args.images)) or "none"
            problems.append(
                f"DockerHostArgs.images has no reference for image key {spec.image!r} "
                f"({where}; known: {known})"
            )
        for network in spec.networks:
            if network not in networks:
                problems.append(
                    f"{where} names network {network!r} "
                    f"(DockerHost makes {sorted(networks)}; `loopback` adds {LOOPBACK!r})"
                )
        for other in spec.depends_on:
            if other not in earlier:
                problems.append(
                    f"{where} depends on {other!r}, "
                    "which is not an earlier entry of DockerHostArgs.containers"
                )
        recipes = [*spec.secret_env.values(), *(u.content for u in spec.uploads)]
        for key in sorted({k for value in recipes for k in _secret_keys(value)} - set(args.secrets)):
            problems.append(f"DockerHostArgs.secrets has no {key!r}, which {where} needs")
        earlier.add(spec.resource_name)
    return problems


def _resolve(value: SecretValue, secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
    if isinstance(value, DerivedSecret):
        return pulumi.Output.secret(secrets[value.key].apply(value.render))
    return value.resolve(secrets)


def _env(plain: Mapping[str, str], secret: Mapping[str, pulumi.Output[str]]) -> list[pulumi.Input[str]]:
    envs: list[pulumi.Input[str]] = [f"{k}={v}" for k, v in sorted(plain.items())]
    for key, value in sorted(secret.items()):
        # Each secret variable stays a secret Output (and the state encrypts it).
        envs.append(pulumi.Output.secret(pulumi.Output.concat(key, "=", value)))
    return envs


class DockerHost(pulumi.ComponentResource):
    """Networks, volumes, image pulls and containers of the docker-host target."""

    def __init__(
        self,
        name: str,
        args: DockerHostArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        problems = _problems(args)
        if problems:
            # Checked before anything is registered.
            raise ValueError(f"DockerHost {name}: " + "; ".join(problems))
        super().__init__("shiksha:index:DockerHost", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        self._common = {"app.kubernetes.io/part-of": args.part_of, "app.kubernetes.io/managed-by": "pulumi"}
        self._secrets = args.secrets
        self._prefix = args.name_prefix
        self._refs = args.images

        self.networks = {
            FRONTEND: self._network(FRONTEND, internal=False),
            # No gateway out: the datastores and internal services cannot reach the internet.
            BACKEND: self._network(BACKEND, internal=True),
        }
        if args.loopback:
            # Docker publishes no port of a container that is only on internal networks
            # (moby/moby#36174). This bridge exists only for the loopback ports: bindings
            # default to 127.0.0.1 and, without masquerading, it gives no route out either.
            self.networks[LOOPBACK] = self._network(
                LOOPBACK,
                internal=False,
                options={
                    "com.docker.network.bridge.enable_ip_masquerade": "false",
                    "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
                },
            )

        self._pulls: dict[str, docker.RemoteImage] = {}
        self.containers: dict[str, docker.Container] = {}
        self.volumes: dict[str, docker.Volume] = {}
        for spec in args.containers:
            self.containers[spec.resource_name] = self._container(spec)
        self.edge = self._container(args.edge)
        self.register_outputs({})

    def _network(self, key: str, internal: bool, options: dict[str, str] | None = None) -> docker.Network:
        return docker.Network(
            f"{self._prefix}-{key}",
            name=f"{self._prefix}-{key}",
            driver="bridge",
            internal=internal,
            options=options,
            labels=[docker.NetworkLabelArgs(label=k, value=v) for k, v in sorted(self._common.items())],
            opts=self._child,
        )

    def _pull(self, key: str, ref: pulumi.Input[str]) -> docker.RemoteImage:
        if key not in self._pulls:
            self._pulls[key] = docker.RemoteImage(
                f"{self._prefix}-image-{key}", name=ref, keep_locally=True, opts=self._child
            )
        return self._pulls[key]

    def _volume(self, volume: Volume) -> docker.Volume:
        created = docker.Volume(
            volume.name,
            name=volume.name,
            labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(self._common.items())],
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
            if volume.persistent
            else self._child,
        )
        if volume.output_key is not None:
            self.volumes[volume.output_key] = created
        return created

    def _container(self, spec: ContainerSpec) -> docker.Container:
        image = self._refs[spec.image] if spec.image_is_key else spec.image
        pulled = self._pull(spec.pull_key, image)
        mounts = [
            docker.ContainerVolumeArgs(volume_name=self._volume(v).name, container_path=v.container_path)
            for v in spec.volumes
        ]
        mounts += [
            docker.ContainerVolumeArgs(
                host_path=b.host_path, container_path=b.container_path, read_only=b.read_only
            )
            for b in spec.bind_mounts
        ]
        uploads = [
            docker.ContainerUploadArgs(
                file=u.file,
                # A secret Output: the recipe resolves from Pulumi secret config.
                content=_resolve(u.content, self._secrets),
                owner=u.owner,
                group=u.group,
                permissions=u.permissions,
            )
            for u in spec.uploads
        ]
        check = spec.healthcheck
        return docker.Container(
            spec.resource_name,
            # A rolling container is auto-named (`<resource name>-<random>`, fresh on each
            # replacement, kept otherwise) so old and new can coexist; peers reach it by its
            # network alias, never by container name.
            name=None if spec.rolling else spec.name,
            hostname=spec.hostname,
            image=image,
            entrypoints=spec.entrypoints,
            command=spec.command,
            envs=_env(
                spec.env,
                {k: _resolve(v, self._secrets) for k, v in spec.secret_env.items()},
            ),
            user=spec.user,
            read_only=spec.read_only,
            tmpfs=spec.tmpfs,
            # The hardening every container of the target shares.
            security_opts=["no-new-privileges:true"],
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            privileged=False,
            memory=spec.memory_mb,
            memory_reservation=spec.memory_reservation_mb,
            # No swap beyond the limit: memory_swap equal to memory.
            memory_swap=spec.memory_mb,
            cpus=spec.cpus,
            gpus=spec.gpus,
            shm_size=spec.shm_size,
            ulimits=[
                docker.ContainerUlimitArgs(name="nofile", soft=spec.ulimit_nofile, hard=spec.ulimit_nofile)
            ]
            if spec.ulimit_nofile is not None
            else None,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=check.tests,
                interval=check.interval,
                timeout=check.timeout,
                start_period=check.start_period,
                start_interval=check.start_interval,
                retries=check.retries,
            ),
            # `pulumi up` waits until the new container is healthy and fails if it is not
            # within Docker's own budget for calling it unhealthy.
            wait=check.enabled,
            wait_timeout=check.budget_seconds() if check.enabled else None,
            restart=spec.restart,
            max_retry_count=spec.max_retry_count,
            stop_signal=spec.stop_signal,
            stop_timeout=spec.stop_timeout,
            destroy_grace_seconds=spec.destroy_grace_seconds,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(spec.labels.items())],
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self.networks[net].name, aliases=[spec.hostname])
                for net in spec.networks
            ],
            ports=[
                docker.ContainerPortArgs(internal=p.internal, external=p.external, ip=p.ip)
                for p in spec.ports
            ]
            or None,
            volumes=mounts or None,
            uploads=uploads or None,
            log_driver="json-file",
            log_opts=spec.log_opts,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[pulled, *(self.containers[name] for name in spec.depends_on)],
                # Rolling: the replacement is created and healthy before the old one goes.
                delete_before_replace=not spec.rolling,
            ),
        )
