"""The estate's network intent: who calls whom, as the plan knows it.

Intent lives where it is decided:
  - a workload's `connectsTo` (it calls those workloads, on their non-metrics ports),
  - a workload's `egressInternet` (public addresses only, on network.internet.ports),
  - the edge routes (the ingress controller reaches a route's backend port),
  - the scrape targets (Prometheus reaches each (workload, port) it scrapes, and Alertmanager),
  - network.rules (extra workload -> workload / namespace / address block calls).
A target turns it into its own mechanism (NetworkPolicies on Kubernetes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from components.config.estate import EstateConfig
from components.config.network import NetworkSpec
from components.config.workloads import WorkloadSpec
from components.plan import monitoring
from components.render import prometheus as prom
from components.render.prometheus import ServiceJob


@dataclass(frozen=True)
class Route:
    """An edge route as the network sees it: the controller reaches `backend` on `port`."""

    backend: str
    port: str


@dataclass(frozen=True)
class NetworkIntent:
    namespace: str
    part_of: str
    spec: NetworkSpec
    # Every workload running in the namespace, the monitoring ones included.
    workloads: Mapping[str, WorkloadSpec]
    controller_namespace_labels: Mapping[str, str]
    routes: Sequence[Route] = ()
    scrape_targets: Sequence[tuple[str, str]] = ()
    # The kubelet port Prometheus scrapes on every node, when node metrics are on.
    kubelet_port: int | None = None
    # Alertmanager receivers whose webhook is a Service inside the cluster: receiver -> host.
    alert_webhooks: Mapping[str, str] = field(default_factory=dict)


def prometheus_targets(config: EstateConfig, jobs: Sequence[ServiceJob]) -> list[tuple[str, str]]:
    """Every (workload, port name) Prometheus connects to: its scrape targets and Alertmanager."""
    targets = list(monitoring.scrape_targets(config, jobs))
    if config.monitoring.enabled:
        targets.append(monitoring.ALERTMANAGER_TARGET)
    return list(dict.fromkeys(targets))


def network_intent(config: EstateConfig, jobs: Sequence[ServiceJob]) -> NetworkIntent:
    """The estate's intent: its enabled workloads and the monitoring ones, the edge routes
    when the edge is on, Prometheus's scrape targets (`jobs`: the plan's scrape jobs) and
    Alertmanager."""
    workloads = {**config.enabled_workloads, **monitoring.monitoring_workloads(config)}
    roles = {"prometheus": prom.PROMETHEUS, "alertmanager": prom.ALERTMANAGER}
    return NetworkIntent(
        namespace=config.namespace.name,
        part_of=config.part_of,
        spec=config.network.model_copy(update=roles) if config.monitoring.enabled else config.network,
        workloads=workloads,
        controller_namespace_labels=config.ingress.controller_namespace_labels(),
        routes=[Route(r.backend, r.port) for r in config.edge.route_list] if config.ingress.enabled else [],
        scrape_targets=prometheus_targets(config, jobs),
        kubelet_port=monitoring.kubelet_port(config),
        alert_webhooks=monitoring.in_cluster_webhooks(config),
    )


def unreachable(intent: NetworkIntent) -> list[str]:
    """Who needs a cluster address the stack has not stated (a warning, not an error:
    the addresses are facts of the cluster, not of the estate)."""
    spec = intent.spec
    notes = []
    api_clients = sorted(n for n, w in intent.workloads.items() if w.automount_token_reason is not None)
    if api_clients and not spec.kubernetes_api.cidrs:
        notes.append(
            f"network.kubernetesApi.cidrs is empty: {', '.join(api_clients)} cannot reach the API server; "
            "set it to the cluster's API server endpoint addresses"
        )
    if intent.kubelet_port is not None and spec.prometheus in intent.workloads and not spec.nodes.cidrs:
        notes.append(
            f"network.nodes.cidrs is empty: {spec.prometheus} cannot scrape the kubelets "
            f"(port {intent.kubelet_port}); set it to the node address ranges"
        )
    for receiver, host in intent.alert_webhooks.items():
        service = host.split(".")[0]
        # A rule to a namespace or an address block may be the one; only the relay's own
        # workload name, or nothing at all from Alertmanager, is certain.
        if not any(
            r.from_ == spec.alertmanager and r.to.workload in (None, service) for r in spec.rules.values()
        ):
            notes.append(
                f"monitoring.alertmanager.receivers.{receiver}.webhook.url: {host} is in the cluster "
                f"but no network.rules entry lets {spec.alertmanager} call it; the NetworkPolicies "
                "drop this receiver's alerts"
            )
    return notes
