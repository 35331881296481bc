"""The docker-host target: the plan as one DockerHost on a single machine.

The one place the estate's config and plan become DockerHostArgs: the containers are built
here as plain ContainerSpecs (components/docker/), and DockerHost only registers them.
"""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.config.estate import EstateConfig
from components.config.secrets import EstateSecrets
from components.docker.containers import workload_containers
from components.docker.nginx import nginx_container
from components.docker_host import DockerHost, DockerHostArgs
from components.plan.estate import EstatePlan
from components.resources.images import image_refs


def build(config: EstateConfig, plan: EstatePlan, secrets: EstateSecrets) -> dict[str, pulumi.Input[object]]:
    """Registers the estate; returns the stack outputs (names and references, never secrets)."""
    host = config.docker_host
    provider = docker.Provider("docker", host=host.host) if host.host else docker.Provider("docker")
    refs = image_refs(config, secrets)
    containers = workload_containers(plan.platform, config, secrets.values.keys())
    args = DockerHostArgs(
        containers=containers,
        edge=nginx_container(config, plan.routes, {c.resource_name for c in containers}),
        name_prefix=host.name_prefix,
        part_of=config.part_of,
        images=refs,
        secrets=secrets.values,
        loopback=bool(host.loopback_ports),
    )
    estate = DockerHost("docker-host", args, opts=pulumi.ResourceOptions(providers={"docker": provider}))
    return {
        "target": "docker-host",
        "networks": {key: net.name for key, net in estate.networks.items()},
        "containers": {key: c.name for key, c in {**estate.containers, "nginx": estate.edge}.items()},
        "volumes": {key: v.name for key, v in estate.volumes.items()},
        "images": {name: refs[planned.image] for name, planned in plan.platform.items()},
        "entrypoint": f"https://{config.edge.hosts[0]}",
    }
