"""The docker-host target: the plan as one DockerHost on a single machine."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.config.secrets import EstateSecrets
from components.docker_host import DockerHost
from components.resources.images import image_refs
from components.plan.estate import EstatePlan


def build(plan: EstatePlan, secrets: EstateSecrets) -> dict[str, pulumi.Input[object]]:
    """Registers the estate; returns the stack outputs (names and references, never secrets)."""
    config = plan.config
    host = config.docker_host
    provider = docker.Provider("docker", host=host.host) if host.host else docker.Provider("docker")
    refs = image_refs(config, secrets)
    estate = DockerHost(
        "docker-host", plan, secrets, refs, opts=pulumi.ResourceOptions(providers={"docker": provider})
    )
    return {
        "target": "docker-host",
        "networks": {key: net.name for key, net in estate.networks.items()},
        "containers": {key: c.name for key, c in {**estate.containers, "nginx": estate.edge}.items()},
        "volumes": {key: v.name for key, v in estate.volumes.items()},
        "images": {name: refs[planned.image] for name, planned in plan.platform.items()},
        "entrypoint": f"https://{config.edge.hosts[0]}",
    }
