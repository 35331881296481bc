"""The root of the configuration tree: one validated model for the whole estate."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import StrictModel
from .cdn import CdnSpec
from .datastores import PostgresSettings, RedisCacheSettings, RedisSettings, with_read_replicas
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
from .types import Dns1035Label, DnsLabel, LabelValue
from .workloads import WorkloadSpec


class EstateConfig(StrictModel):
    target: Literal["kubernetes", "docker-host"] = "kubernetes"
    # The app.kubernetes.io/part-of label, the edge objects' name and the prefix of every
    # workload's instance label.
    part_of: DnsLabel = "shiksha-setu"
    version: Annotated[LabelValue, Field(min_length=1)] = "4.1.0"
    namespace: NamespaceSpec = NamespaceSpec()
    kubernetes: KubernetesSpec = KubernetesSpec()
    workloads: dict[Dns1035Label, WorkloadSpec] = Field(default_factory=dict)
    images: ImagesSpec = ImagesSpec()
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    redis_cache: RedisCacheSettings = RedisCacheSettings()
    edge: EdgeSpec = EdgeSpec()
    ingress: IngressSpec = IngressSpec()
    network: NetworkSpec = NetworkSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    docker_host: DockerHostSpec = DockerHostSpec()
    cdn: CdnSpec = CdnSpec()
    secrets: SecretsSpec = SecretsSpec()
    logging: LoggingSpec = LoggingSpec()

    @model_validator(mode="before")
    @classmethod
    def _derived_workloads(cls, data: Any) -> Any:
        return with_read_replicas(data)

    @property
    def enabled_workloads(self) -> dict[str, WorkloadSpec]:
        return {name: spec for name, spec in self.workloads.items() if spec.enabled}
