"""The root of the configuration tree: one validated model for the whole estate."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from components.datastores.settings import Settings as DatastoreSettings

from .base import StrictModel
from .cdn import CdnSpec
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


class _EstateHead(StrictModel):
    target: Literal["kubernetes", "docker-host"] = "kubernetes"
    # The app.kubernetes.io/part-of label, the edge objects' name and the prefix of every
    # workload's instance label.
    part_of: DnsLabel = "shiksha-setu"
    version: Annotated[LabelValue, Field(min_length=1)] = "4.1.0"
    namespace: NamespaceSpec = NamespaceSpec()
    kubernetes: KubernetesSpec = KubernetesSpec()
    workloads: dict[Dns1035Label, WorkloadSpec] = Field(default_factory=dict)
    images: ImagesSpec = ImagesSpec()


# Every datastore's settings key (and its derived workloads) comes from the datastores'
# `Settings` (components/datastores/settings.py), between `images` and `edge`: pydantic
# orders base classes' fields last to first.
class EstateConfig(DatastoreSettings, _EstateHead):
    edge: EdgeSpec = EdgeSpec()
    ingress: IngressSpec = IngressSpec()
    network: NetworkSpec = NetworkSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    docker_host: DockerHostSpec = DockerHostSpec()
    cdn: CdnSpec = CdnSpec()
    secrets: SecretsSpec = SecretsSpec()
    logging: LoggingSpec = LoggingSpec()

    @property
    def enabled_workloads(self) -> dict[str, WorkloadSpec]:
        return {name: spec for name, spec in self.workloads.items() if spec.enabled}
