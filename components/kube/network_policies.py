"""A namespace's NetworkPolicies from the plan's network intent (components/plan/network.py).

Each allowed call becomes the caller's egress *and* the callee's ingress, because the
baseline denies both directions; everything not derived from intent stays denied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.network import METRICS_PORT
from components.config.workloads import WorkloadSpec
from components.kube.labels import MANAGED_BY, selector_labels
from components.kube.network_policy import Peer, PolicyPort, merge_rules, network_policy
from components.plan.network import NetworkIntent

DEFAULT_DENY = "default-deny-all"
DNS_EGRESS = "allow-dns-egress"


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

    for rule in spec.rules.values():
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
