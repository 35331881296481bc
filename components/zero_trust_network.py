"""ZeroTrustNetwork: the namespace's NetworkPolicies, generated from declared intent.

Nobody writes a policy per workload. Intent lives where it is decided:
  - a workload's `connectsTo` (it calls those workloads, on their non-metrics ports),
  - a workload's `egressInternet` (public addresses only, on network.internet.ports),
  - the edge routes (the ingress controller reaches a route's backend port),
  - the scrape targets (Prometheus reaches each (workload, port) it scrapes, and Alertmanager),
  - network.rules (extra workload -> workload / namespace / address block calls).
Each allowed call becomes the caller's egress *and* the callee's ingress, because the
baseline denies both directions; everything not derived from intent stays denied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import monitoring_stack
from components.config.estate import EstateConfig
from components.config.network import METRICS_PORT, NetworkSpec
from components.config.workloads import WorkloadSpec
from components.kube.labels import MANAGED_BY, selector_labels
from components.kube.network_policy import Peer, PolicyPort, merge_rules, network_policy
from components.render import prometheus as prom

DEFAULT_DENY = "default-deny-all"
DNS_EGRESS = "allow-dns-egress"


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


def metrics_scrape_targets(workloads: Mapping[str, WorkloadSpec]) -> list[tuple[str, str]]:
    """What Prometheus scrapes when nobody says otherwise: every port named `metrics`."""
    return [(name, METRICS_PORT) for name, spec in workloads.items() if METRICS_PORT in spec.ports]


def _resolve(workloads: Mapping[str, WorkloadSpec], workload: str, port: int | str) -> int | str:
    """A port name as its number when the workload is known (a named port works as well,
    but not every CNI resolves names in egress rules)."""
    spec = workloads.get(workload)
    if isinstance(port, str) and spec is not None and port in spec.ports:
        return spec.ports[port]
    return port


def _policy_labels(intent: NetworkIntent, name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": intent.part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def plan_policies(intent: NetworkIntent) -> list[dict[str, Any]]:
    """Every NetworkPolicy of the namespace, as plain dicts."""
    spec = intent.spec
    workloads = intent.workloads
    ingress: dict[str, list[tuple[Peer, PolicyPort | None]]] = {name: [] for name in workloads}
    egress: dict[str, list[tuple[Peer, PolicyPort | None]]] = {name: [] for name in workloads}

    def pods(name: str) -> Peer:
        return Peer.pods(selector_labels(name, intent.part_of))

    def call(
        source: str | None, source_peer: Peer | None, target: str, port: int | str, proto: str = "TCP"
    ) -> None:
        """`source` (a workload, or `source_peer` outside the namespace) calls workload `target`."""
        policy_port = PolicyPort(_resolve(workloads, target, port), proto)
        if source is not None:
            egress.setdefault(source, []).append((pods(target), policy_port))
            source_peer = pods(source)
        assert source_peer is not None
        ingress.setdefault(target, []).append((source_peer, policy_port))

    for name, workload in workloads.items():
        for target in workload.connects_to:
            target_spec = workloads.get(target)
            if target_spec is None:
                continue  # disabled target: nothing to reach
            for port_name in target_spec.ports:
                if port_name != METRICS_PORT:
                    call(name, None, target, port_name)
        if workload.automount_token_reason is not None:
            # A workload that asked for its token talks to the API server with it.
            egress[name] += [
                (Peer.ip_block(cidr), PolicyPort(port))
                for cidr in spec.kubernetes_api.cidrs
                for port in spec.kubernetes_api.ports
            ]
        if workload.egress_internet:
            block = Peer.ip_block(spec.internet.cidr, spec.internet.except_)
            if spec.internet.ports:
                egress[name] += [(block, PolicyPort(port)) for port in spec.internet.ports]
            else:
                egress[name].append((block, None))

    controller = Peer.namespace(
        (
            spec.ingress_controller.namespace_labels
            if spec.ingress_controller
            else intent.controller_namespace_labels
        ),
        (spec.ingress_controller.pod_labels or None) if spec.ingress_controller else None,
    )
    for route in intent.routes:
        if route.backend in workloads:
            call(None, controller, route.backend, route.port)

    if spec.prometheus in workloads:
        for target, port_name in intent.scrape_targets:
            if target in workloads:
                call(spec.prometheus, None, target, port_name)
        if intent.kubelet_port is not None:
            egress[spec.prometheus] += [
                (Peer.ip_block(cidr), PolicyPort(intent.kubelet_port)) for cidr in spec.nodes.cidrs
            ]
        alertmanager = workloads.get(spec.alertmanager)
        if alertmanager is not None:
            for port_name in alertmanager.ports:
                if port_name != METRICS_PORT:
                    call(spec.prometheus, None, spec.alertmanager, port_name)

    for rule in spec.rules:
        if rule.from_ not in workloads:
            continue
        to = rule.to
        if to.workload is not None:
            for port in rule.ports:
                call(rule.from_, None, to.workload, port, rule.protocol)
            continue
        if to.namespace is not None:
            peer = Peer.namespace(to.namespace.namespace_labels, to.namespace.pod_labels or None)
        else:
            assert to.ip_block is not None
            peer = Peer.ip_block(to.ip_block.cidr, to.ip_block.except_)
        egress[rule.from_] += [(peer, PolicyPort(port, rule.protocol)) for port in rule.ports]

    policies = [
        # The zero-trust baseline: every pod, both directions, nothing allowed.
        network_policy(
            DEFAULT_DENY,
            intent.namespace,
            _policy_labels(intent, DEFAULT_DENY, "network-baseline"),
            {},
            [],
            [],
        ),
        network_policy(
            DNS_EGRESS,
            intent.namespace,
            _policy_labels(intent, DNS_EGRESS, "dns"),
            {},
            None,
            merge_rules(
                [
                    (
                        Peer.namespace(spec.dns.namespace_labels, spec.dns.pod_labels or None),
                        PolicyPort(spec.dns.port, proto),
                    )
                    for proto in ("UDP", "TCP")
                ]
            ),
        ),
    ]
    for name in sorted(set(ingress) | set(egress)):
        known = workloads.get(name)
        component = known.component if known is not None else name
        policy_name = f"{name}-netpol"
        # Both directions are always listed: a workload with no rule in a direction is
        # locked there by its own policy too, not only by the baseline.
        policies.append(
            network_policy(
                policy_name,
                intent.namespace,
                _policy_labels(intent, policy_name, component),
                selector_labels(name, intent.part_of),
                merge_rules(ingress.get(name, [])),
                merge_rules(egress.get(name, [])),
            )
        )
    return policies


@dataclass(frozen=True)
class ZeroTrustNetworkArgs:
    intent: NetworkIntent
    namespace: pulumi.Input[str]


class ZeroTrustNetwork(pulumi.ComponentResource):
    """Registers the planned NetworkPolicies; `policy_names` lists them for outputs."""

    policy_names: list[str]

    def __init__(self, name: str, args: ZeroTrustNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:ZeroTrustNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for note in unreachable(args.intent):
            pulumi.log.warn(note, resource=self)
        self.policy_names = []
        for policy in plan_policies(args.intent):
            meta = dict(policy["metadata"])
            # The namespace output carries the dependency on the namespace and its guardrails.
            meta["namespace"] = args.namespace
            policy_name = meta["name"]
            k8s.networking.v1.NetworkPolicy(policy_name, metadata=meta, spec=policy["spec"], opts=child)
            self.policy_names.append(policy_name)
        self.register_outputs({"policies": self.policy_names})


def monitoring_workloads(config: EstateConfig) -> dict[str, WorkloadSpec]:
    """The workloads MonitoringStack deploys into the namespace, with their own intent."""
    if not config.monitoring.enabled:
        return {}
    workloads = {
        prom.PROMETHEUS: monitoring_stack.prometheus_spec(config),
        prom.ALERTMANAGER: monitoring_stack.alertmanager_spec(config),
    }
    if config.monitoring.blackbox.targets:
        workloads[prom.BLACKBOX] = monitoring_stack.blackbox_spec(config)
    workloads.update(monitoring_stack.exporter_specs(config))
    return workloads


def network_intent(config: EstateConfig) -> NetworkIntent:
    """The estate's intent: its enabled workloads and the monitoring ones, the edge routes
    when the edge is on, Prometheus's scrape targets and Alertmanager."""
    workloads = {**config.enabled_workloads, **monitoring_workloads(config)}
    targets = list(monitoring_stack.scrape_targets(config))
    if config.monitoring.enabled:
        targets.append(monitoring_stack.ALERTMANAGER_TARGET)
    return NetworkIntent(
        namespace=config.namespace.name,
        part_of=config.part_of,
        spec=config.network.model_copy(
            update={"prometheus": prom.PROMETHEUS, "alertmanager": prom.ALERTMANAGER}
        )
        if config.monitoring.enabled
        else config.network,
        workloads=workloads,
        controller_namespace_labels=config.ingress.controller_namespace_labels(),
        routes=[Route(r.backend, r.port) for r in config.edge.routes] if config.ingress.enabled else [],
        scrape_targets=targets,
        kubelet_port=monitoring_stack.kubelet_port(config),
        alert_webhooks=monitoring_stack.in_cluster_webhooks(config),
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
        if not any(r.from_ == spec.alertmanager and r.to.workload in (None, service) for r in spec.rules):
            notes.append(
                f"monitoring.alertmanager.receivers.{receiver}.webhook.url: {host} is in the cluster "
                f"but no network.rules entry lets {spec.alertmanager} call it; the NetworkPolicies "
                "drop this receiver's alerts"
            )
    return notes
