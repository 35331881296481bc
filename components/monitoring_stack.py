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

from components.config.monitoring import EXPORTERS
from components.kube.labels import recommended_labels
from components.kube.metadata import metadata
from components.plan.monitoring import COMPONENT
from components.plan.workload import PlannedWorkload
from components.render import prometheus as prom
from components.resources.secret_objects import SecretSink
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
    """The monitoring workloads, each a SecureDeployment: Prometheus and Alertmanager at least,
    with their rendered config and rule files among the workloads' files."""

    namespace: pulumi.Input[str]
    # Workload name -> planned workload (spec, files, credentials; `image` is the pinned
    # reference). An estate passes its plan's (EstatePlan.monitoring).
    workloads: Mapping[str, PlannedWorkload]
    secrets: SecretSink
    # The app.kubernetes.io/part-of and version labels.
    part_of: str
    version: str | None = None
    # The name of a ClusterRole (and binding) letting Prometheus find kubelets and read
    # nodes/metrics, for the kubelet jobs; None (the default): no cluster-wide grant at all.
    node_metrics_role: str | None = None
    skip_await: bool = False


class MonitoringStack(pulumi.ComponentResource):
    prometheus_service: pulumi.Output[str]
    alertmanager_service: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None):
        # Checked before anything is registered.
        missing = [w for w in (prom.PROMETHEUS, prom.ALERTMANAGER) if w not in args.workloads]
        if missing:
            raise ValueError(
                f"MonitoringStack {name}: MonitoringStackArgs.workloads has no {' and no '.join(missing)} "
                f"(got {', '.join(args.workloads) or 'none'})"
            )
        super().__init__("shiksha:index:MonitoringStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def bind(workload: str, rules: list[dict[str, Any]]) -> None:
            labels = recommended_labels(workload, COMPONENT, args.part_of, args.version)
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
        for workload, planned in args.workloads.items():
            deployed[workload] = SecureDeployment(
                workload,
                SecureDeploymentArgs.planned(
                    planned,
                    args.namespace,
                    planned.image,
                    args.secrets,
                    part_of=args.part_of,
                    version=args.version,
                    skip_await=args.skip_await,
                ),
                opts=child,
            )
            if workload == prom.PROMETHEUS:
                bind(workload, prometheus_role_rules())
            elif workload == KUBE_STATE_METRICS:
                bind(workload, kube_state_metrics_role_rules())

        if args.node_metrics_role is not None:
            cluster_name = args.node_metrics_role
            labels = recommended_labels(prom.PROMETHEUS, COMPONENT, args.part_of, args.version)
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
