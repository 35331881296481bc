"""NetworkPolicy (networking.k8s.io/v1): the one place these objects are shaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .metadata import metadata


@dataclass(frozen=True)
class PolicyPort:
    port: int | str
    protocol: str = "TCP"

    def as_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "port": self.port}


@dataclass(frozen=True)
class Peer:
    """One NetworkPolicyPeer: pods of this namespace, pods of other namespaces, or addresses.

    Namespace and pod labels together select pods in those namespaces (one peer, AND);
    pod labels alone select pods of the policy's own namespace.
    """

    pod_labels: tuple[tuple[str, str], ...] | None = None
    namespace_labels: tuple[tuple[str, str], ...] | None = None
    cidr: str | None = None
    except_: tuple[str, ...] = ()

    @staticmethod
    def pods(labels: Mapping[str, str]) -> Peer:
        return Peer(pod_labels=tuple(sorted(labels.items())))

    @staticmethod
    def namespace(namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str] | None = None) -> Peer:
        return Peer(
            pod_labels=tuple(sorted(pod_labels.items())) if pod_labels else None,
            namespace_labels=tuple(sorted(namespace_labels.items())),
        )

    @staticmethod
    def ip_block(cidr: str, except_: Sequence[str] = ()) -> Peer:
        return Peer(cidr=cidr, except_=tuple(except_))

    def as_dict(self) -> dict[str, Any]:
        if self.cidr is not None:
            block: dict[str, Any] = {"cidr": self.cidr}
            if self.except_:
                block["except"] = list(self.except_)
            return {"ipBlock": block}
        peer: dict[str, Any] = {}
        if self.namespace_labels is not None:
            peer["namespaceSelector"] = {"matchLabels": dict(self.namespace_labels)}
        if self.pod_labels is not None:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return peer


@dataclass(frozen=True)
class PolicyRule:
    """Peers and ports of one ingress or egress rule; no ports means every port."""

    peers: tuple[Peer, ...]
    ports: tuple[PolicyPort, ...] = ()

    def as_dict(self, direction: str) -> dict[str, Any]:
        body: dict[str, Any] = {direction: [peer.as_dict() for peer in self.peers]}
        if self.ports:
            body["ports"] = [port.as_dict() for port in self.ports]
        return body


def merge_rules(pairs: Sequence[tuple[Peer, PolicyPort | None]]) -> list[PolicyRule]:
    """(peer, port) pairs as few rules as possible: peers sharing the same port set share a rule.

    Grouping only by identical port sets keeps the result exactly the union of the pairs
    (a rule is peers x ports, so mixing port sets would open pairs nobody asked for).
    """
    ports_of: dict[Peer, set[PolicyPort | None]] = {}
    for peer, port in pairs:
        ports_of.setdefault(peer, set()).add(port)
    by_ports: dict[tuple[PolicyPort, ...], list[Peer]] = {}
    for peer, ports in ports_of.items():
        # A peer allowed on every port needs no port list at all.
        concrete = [port for port in ports if port is not None]
        key = () if None in ports else tuple(sorted(concrete, key=_port_key))
        by_ports.setdefault(key, []).append(peer)
    return [
        PolicyRule(tuple(sorted(peers, key=repr)), ports)
        for ports, peers in sorted(by_ports.items(), key=lambda item: [_port_key(p) for p in item[0]])
    ]


def _port_key(port: PolicyPort) -> tuple[str, str]:
    return (port.protocol, f"{port.port:>8}" if isinstance(port.port, int) else str(port.port))


def network_policy(
    name: str,
    namespace: Any,
    labels: Mapping[str, str],
    pod_labels: Mapping[str, str],
    ingress: Sequence[PolicyRule] | None,
    egress: Sequence[PolicyRule] | None,
) -> dict[str, Any]:
    """A NetworkPolicy for the pods with `pod_labels` (empty: every pod of the namespace).

    `None` leaves a direction out of policyTypes (this policy says nothing about it); an
    empty list lists the direction with no rules, which denies it for the selected pods.
    """
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(pod_labels)} if pod_labels else {}}
    types = []
    # A direction with no rules is expressed by policyTypes alone: the API server drops an
    # empty rule list, so sending one would rewrite the object on every apply.
    if ingress is not None:
        types.append("Ingress")
        if ingress:
            spec["ingress"] = [rule.as_dict("from") for rule in ingress]
    if egress is not None:
        types.append("Egress")
        if egress:
            spec["egress"] = [rule.as_dict("to") for rule in egress]
    spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace, labels),
        "spec": spec,
    }
