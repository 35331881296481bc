"""The root of the configuration tree: one validated model for the whole estate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import DnsLabel, StrictModel
from .datastores import PostgresTuning, RedisSettings
from .docker_host import DockerHostSpec
from .edge import EdgeSpec
from .images import ImagesSpec
from .ingress import IngressSpec
from .kubernetes import KubernetesSpec
from .logging import LoggingSpec
from .monitoring import MonitoringSpec
from .namespace import NamespaceSpec
from .network import NetworkSpec
from .secrets_source import SecretsSpec
from .workloads import WorkloadSpec


class EstateConfig(StrictModel):
    target: Literal["kubernetes", "docker-host"] = "kubernetes"
    part_of: DnsLabel = "shiksha-setu"
    version: str = "4.1.0"
    namespace: NamespaceSpec = NamespaceSpec()
    kubernetes: KubernetesSpec = KubernetesSpec()
    workloads: dict[DnsLabel, WorkloadSpec] = Field(default_factory=dict)
    images: ImagesSpec = ImagesSpec()
    postgres: PostgresTuning = PostgresTuning()
    redis: RedisSettings = RedisSettings()
    edge: EdgeSpec = EdgeSpec()
    ingress: IngressSpec = IngressSpec()
    network: NetworkSpec = NetworkSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    docker_host: DockerHostSpec = DockerHostSpec()
    secrets: SecretsSpec = SecretsSpec()
    logging: LoggingSpec = LoggingSpec()

    @property
    def enabled_workloads(self) -> dict[str, WorkloadSpec]:
        return {name: spec for name, spec in self.workloads.items() if spec.enabled}

    @model_validator(mode="after")
    def _references_resolve(self) -> EstateConfig:
        for name, spec in self.workloads.items():
            if spec.image not in self.images.pinned:
                raise ValueError(
                    f"workloads.{name}.image {spec.image!r} names no entry of images.pinned "
                    f"(known: {sorted(self.images.pinned)})"
                )
            for target in spec.connects_to:
                if target not in self.workloads:
                    raise ValueError(
                        f"workloads.{name}.connectsTo names {target!r}, which is not a workload "
                        f"(known: {sorted(self.workloads)})"
                    )
                if not self.workloads[target].ports:
                    raise ValueError(f"workloads.{name}.connectsTo names {target!r}, which exposes no port")
        for route in self.edge.routes:
            backend = self.workloads.get(route.backend)
            if backend is None:
                raise ValueError(
                    f"edge.routes path {route.path!r} has backend {route.backend!r}, which is not a "
                    f"workload (known: {sorted(self.workloads)})"
                )
            if route.port not in backend.ports:
                raise ValueError(
                    f"edge.routes path {route.path!r}: workload {route.backend!r} has no port "
                    f"{route.port!r} (ports: {sorted(backend.ports)})"
                )
        return self
