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
    target: Literal["kubernetes", "docker-host"] = Field(
        "kubernetes",
        description=(
            "what the program creates: Kubernetes objects (kubernetes) or Docker "
            "containers, volumes and networks on one host (docker-host)"
        ),
    )
    # The app.kubernetes.io/part-of label, the edge objects' name and the prefix of every
    # workload's instance label.
    part_of: DnsLabel = Field(
        "shiksha-setu",
        description=(
            "the app.kubernetes.io/part-of label on every object, the edge objects'"
            " name, the instance-label prefix and Prometheus's cluster label"
        ),
    )
    version: Annotated[LabelValue, Field(min_length=1)] = Field(
        "4.1.0",
        description=(
            "the app.kubernetes.io/version label where no image tag says otherwise,"
            " and the tag of built images"
        ),
    )
    namespace: NamespaceSpec = Field(
        NamespaceSpec(),
        description=("the platform namespace with its Pod Security level, ResourceQuota and LimitRange"),
    )
    kubernetes: KubernetesSpec = Field(
        KubernetesSpec(),
        description=(
            "how the provider reaches Kubernetes: a kubeconfig context, or a directory of rendered YAML"
        ),
    )
    workloads: dict[Dns1035Label, WorkloadSpec] = Field(
        default_factory=dict,
        description=(
            "workload name -> one Deployment/StatefulSet with its Service, "
            "NetworkPolicy and budget; merged over the production workloads, null "
            "removes one"
        ),
        examples=[
            {
                "notifier": {
                    "component": "notifier",
                    "image": "backend",
                    "ports": {"http": 8080},
                    "connectsTo": ["api"],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                }
            }
        ],
    )
    images: ImagesSpec = Field(
        ImagesSpec(),
        description=("image key -> the pinned reference workloads run, and what to build from source"),
    )


# Every datastore's settings key (and its derived workloads) comes from the datastores'
# `Settings` (components/datastores/settings.py), between `images` and `edge`: pydantic
# orders base classes' fields last to first.
class EstateConfig(DatastoreSettings, _EstateHead):
    edge: EdgeSpec = Field(
        EdgeSpec(),
        description=(
            "the public edge: routes, hosts, headers, rate limits, CORS, timeouts, TLS, blocked paths"
        ),
    )
    ingress: IngressSpec = Field(
        IngressSpec(),
        description=("the Kubernetes edge objects: Gateway API or ingress-nginx, and cert-manager"),
    )
    network: NetworkSpec = Field(
        NetworkSpec(), description="the ZeroTrustNetwork: default-deny NetworkPolicies and what they allow"
    )
    monitoring: MonitoringSpec = Field(
        MonitoringSpec(),
        description=("the MonitoringStack: Prometheus, Alertmanager, exporters and alert rules"),
    )
    docker_host: DockerHostSpec = Field(
        DockerHostSpec(),
        description=("the docker-host target: daemon, names, published ports and the NGINX edge container"),
    )
    cdn: CdnSpec = Field(
        CdnSpec(), description="a CDN in front of the edge, and the Cache-Control the edge sets"
    )
    secrets: SecretsSpec = Field(
        SecretsSpec(),
        description=(
            "where Secret values come from: this stack's config or an external store (External Secrets)"
        ),
    )
    logging: LoggingSpec = Field(
        LoggingSpec(), description="the LoggingStack shipping container logs over OTLP"
    )

    @property
    def enabled_workloads(self) -> dict[str, WorkloadSpec]:
        return {name: spec for name, spec in self.workloads.items() if spec.enabled}
