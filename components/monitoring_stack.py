"""MonitoringStack: Prometheus, Alertmanager, the blackbox exporter and the exporters the
alerts need, each a SecureDeployment, as the plan resolves them (components/plan/monitoring.py:
specs, rendered config files, credentials).

Everything runs in the platform namespace: discovery is limited to it, so Prometheus's
API access is a namespaced read-only Role. The one cluster-wide grant is for the kubelet
jobs (node list/watch to find kubelets, nodes/metrics for the kubelet to authorize the
scrape) and exists only while `monitoring.nodes.enabled`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.estate import EstateConfig
from components.config.monitoring import EXPORTERS
from components.kube.labels import recommended_labels
from components.kube.metadata import metadata
from components.plan.monitoring import COMPONENT, planned_monitoring, scrape_jobs
from components.plan.workload import PlannedWorkload
from components.render import prometheus as prom
from components.secret_objects import SecretSink
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs

READ_ONLY = ["get", "list", "watch"]
KUBE_STATE_METRICS = EXPORTERS["kube_state_metrics"][0]


def prometheus_role_rules() -> list[dict[str, Any]]:
    # Exactly what `role: endpointslice` discovery watches: the slices, and the pods and
    # services it joins them with for their metadata.
    return [
        {"apiGroups": [""], "resources": ["pods", "services"], "verbs": READ_ONLY},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ_ONLY},
    ]


def node_cluster_role_rules() -> list[dict[str, Any]]:
    # Nodes are cluster-scoped, so finding kubelets needs a ClusterRole; the kubelet then
    # authorizes /metrics and /metrics/cadvisor as `get nodes/metrics` (not nodes/proxy).
    return [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    ]


def kube_state_metrics_role_rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [""], "resources": ["pods", "resourcequotas"], "verbs": ["list", "watch"]},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["list", "watch"]},
    ]


@dataclass(frozen=True)
class MonitoringStackArgs:
    config: EstateConfig
    secrets: SecretSink
    namespace: pulumi.Input[str]
    # The plan's monitoring workloads (EstatePlan.monitoring); planned from `config` when None.
    workloads: Mapping[str, PlannedWorkload] | None = None


class MonitoringStack(pulumi.ComponentResource):
    prometheus_service: pulumi.Output[str]
    alertmanager_service: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:MonitoringStack", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        ns = config.namespace.name
        workloads = (
            args.workloads if args.workloads is not None else planned_monitoring(config, scrape_jobs(config))
        )

        def bind(workload: str, rules: list[dict[str, Any]]) -> None:
            labels = recommended_labels(workload, COMPONENT, config.part_of, config.version)
            role = k8s.rbac.v1.Role(
                workload,
                metadata=metadata(workload, args.namespace, labels),
                rules=rules,
                opts=child,
            )
            k8s.rbac.v1.RoleBinding(
                workload,
                metadata=metadata(workload, args.namespace, labels),
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": workload},
                subjects=[{"kind": "ServiceAccount", "name": workload, "namespace": args.namespace}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
            )

        deployed: dict[str, SecureDeployment] = {}
        for workload, planned in workloads.items():
            deployed[workload] = SecureDeployment(
                workload,
                SecureDeploymentArgs.planned(planned, config, args.namespace, planned.image, args.secrets),
                opts=child,
            )
            if workload == prom.PROMETHEUS:
                bind(workload, prometheus_role_rules())
            elif workload == KUBE_STATE_METRICS:
                bind(workload, kube_state_metrics_role_rules())

        if config.monitoring.nodes.enabled:
            cluster_name = f"{ns}-prometheus-nodes"
            labels = recommended_labels(prom.PROMETHEUS, COMPONENT, config.part_of, config.version)
            cluster_role = k8s.rbac.v1.ClusterRole(
                cluster_name,
                metadata=metadata(cluster_name, None, labels),
                rules=node_cluster_role_rules(),
                opts=child,
            )
            k8s.rbac.v1.ClusterRoleBinding(
                cluster_name,
                metadata=metadata(cluster_name, None, labels),
                role_ref={
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": cluster_name,
                },
                subjects=[{"kind": "ServiceAccount", "name": prom.PROMETHEUS, "namespace": args.namespace}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_role]),
            )

        self.prometheus_service = deployed[prom.PROMETHEUS].service_name
        self.alertmanager_service = deployed[prom.ALERTMANAGER].service_name
        self.register_outputs(
            {"prometheusService": self.prometheus_service, "alertmanagerService": self.alertmanager_service}
        )
