"""Network intent: who may talk to whom, turned into NetworkPolicies by ZeroTrustNetwork.

Most intent is already elsewhere in the tree (a workload's `connectsTo` and
`egressInternet`, the edge routes, Prometheus's scrape jobs); this part holds the peers
outside the namespace and the few extra rules a stack may add.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from .base import DnsLabel, StrictModel
from .workloads import WorkloadSpec

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# Ports named this way belong to Prometheus: `connectsTo` never opens them to callers.
METRICS_PORT = "metrics"

PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a CIDR network ({error})") from None


class NamespacePeer(StrictModel):
    """Pods in other namespaces, chosen by namespace labels (and optionally pod labels)."""

    namespace_labels: dict[str, str] = Field(min_length=1)
    pod_labels: dict[str, str] = Field(default_factory=dict)


class DnsSpec(NamespacePeer):
    namespace_labels: dict[str, str] = Field(
        default_factory=lambda: {NAMESPACE_NAME_LABEL: "kube-system"}, min_length=1
    )
    pod_labels: dict[str, str] = Field(default_factory=lambda: {"k8s-app": "kube-dns"})
    port: int = Field(default=53, ge=1, le=65535)


class IpBlockSpec(StrictModel):
    cidr: str
    except_: list[str] = Field(default_factory=list, alias="except")

    @model_validator(mode="after")
    def _excepts_inside(self) -> IpBlockSpec:
        outer = _network(self.cidr)
        for index, value in enumerate(self.except_):
            inner = _network(value)
            # Kubernetes rejects an except outside its cidr; a silent no-op would be worse.
            if inner.version != outer.version or not inner.subnet_of(outer):  # type: ignore[arg-type]
                raise ValueError(f"except[{index}] {value!r} is not inside cidr {self.cidr!r}")
        return self


class InternetEgress(IpBlockSpec):
    """Where a workload with `egressInternet: true` may go: public addresses only."""

    cidr: str = "0.0.0.0/0"
    except_: list[str] = Field(default_factory=lambda: list(PRIVATE_RANGES), alias="except")

    # HTTPS only: every external dependency of the platform is an HTTPS API.
    ports: list[int] = Field(default_factory=lambda: [443])

    @model_validator(mode="after")
    def _ports(self) -> InternetEgress:
        for port in self.ports:
            if not 1 <= port <= 65535:
                raise ValueError(f"ports: {port} is not a TCP port (1-65535)")
        return self


class ClusterAddresses(StrictModel):
    """Cluster parts that are addresses, not pods (the API server, the nodes): cluster facts
    each stack states. Empty means not reachable, and the estate warns who is cut off."""

    cidrs: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _networks(self) -> ClusterAddresses:
        for index, value in enumerate(self.cidrs):
            try:
                _network(value)
            except ValueError as error:
                raise ValueError(f"cidrs[{index}]: {error}") from None
        return self


class KubernetesApi(ClusterAddresses):
    # The `kubernetes` Service listens on 443; CNIs judge the API server's own port after DNAT.
    ports: list[int] = Field(default_factory=lambda: [443, 6443])


class RuleTarget(StrictModel):
    """Exactly one of: a workload of the estate, pods in other namespaces, an address block."""

    workload: DnsLabel | None = None
    namespace: NamespacePeer | None = None
    ip_block: IpBlockSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> RuleTarget:
        chosen = [self.workload is not None, self.namespace is not None, self.ip_block is not None]
        if sum(chosen) != 1:
            raise ValueError("a rule target needs exactly one of workload, namespace or ipBlock")
        return self


class IntentRule(StrictModel):
    """`from` (a workload) calls `to` on `ports`: the caller's egress and, for a workload
    target, the target's ingress. Ports are port names of a workload target, numbers otherwise."""

    from_: DnsLabel = Field(alias="from")
    to: RuleTarget
    ports: list[int | str] = Field(min_length=1)
    protocol: Literal["TCP", "UDP"] = "TCP"


class NetworkSpec(StrictModel):
    enabled: bool = True
    # Where the edge proxies run; None: the namespace of the ingress mode's controller.
    ingress_controller: NamespacePeer | None = None
    dns: DnsSpec = DnsSpec()
    internet: InternetEgress = InternetEgress()
    # Workloads that declare `automountTokenReason` call the API server; Prometheus scrapes
    # the kubelets on the nodes when node metrics are on.
    kubernetes_api: KubernetesApi = KubernetesApi()
    nodes: ClusterAddresses = ClusterAddresses()
    # The monitoring workloads, by name (MonitoringStack deploys them in the namespace).
    prometheus: DnsLabel = "prometheus"
    alertmanager: DnsLabel = "alertmanager"
    rules: list[IntentRule] = Field(default_factory=list)


def intent_errors(
    network: NetworkSpec, workloads: Mapping[str, WorkloadSpec], key: str = "network"
) -> list[str]:
    """Rules that name what does not exist; each message starts with its config key."""
    problems = []
    known = sorted(workloads)
    for index, rule in enumerate(network.rules):
        at = f"{key}.rules[{index}]"
        if rule.from_ not in workloads:
            problems.append(f"{at}.from: got {rule.from_!r}: names no workload (known: {known})")
        target = rule.to.workload
        if target is not None:
            if target not in workloads:
                problems.append(f"{at}.to.workload: got {target!r}: names no workload (known: {known})")
                continue
            exposed = workloads[target].ports
            for port in rule.ports:
                if port not in exposed:
                    problems.append(
                        f"{at}.ports: got {port!r}: workload {target!r} exposes no such port "
                        f"(ports: {sorted(exposed)})"
                    )
        else:
            for port in rule.ports:
                if not isinstance(port, int) or not 1 <= port <= 65535:
                    problems.append(
                        f"{at}.ports: got {port!r}: a target outside the estate needs port numbers (1-65535)"
                    )
    return problems
