"""Network intent: who may talk to whom, turned into NetworkPolicies by ZeroTrustNetwork.

Most intent is already elsewhere in the tree (a workload's `connectsTo` and
`egressInternet`, the edge routes, Prometheus's scrape jobs); this part holds the peers
outside the namespace and the few extra rules a stack may add.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from .base import StrictModel
from .errors import map_form
from .types import Cidr, Dns1035Label, DnsLabel, Labels, Port, PortName, is_dns_label

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# Ports named this way belong to Prometheus: `connectsTo` never opens them to callers.
METRICS_PORT = "metrics"

PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]


class NamespacePeer(StrictModel):
    """Pods in other namespaces, chosen by namespace labels (and optionally pod labels)."""

    namespace_labels: Labels = Field(
        min_length=1,
        description=(
            "labels of the namespaces whose pods are the peer (namespaceSelector of the NetworkPolicy rule)"
        ),
        examples=[{"kubernetes.io/metadata.name": "observability"}],
    )
    pod_labels: Labels = Field(
        default_factory=dict,
        description=(
            "labels of the pods in those namespaces (the rule's podSelector); empty: every pod there"
        ),
        examples=[{"app.kubernetes.io/name": "grafana"}],
    )


class DnsSpec(NamespacePeer):
    namespace_labels: Labels = Field(
        default_factory=lambda: {NAMESPACE_NAME_LABEL: "kube-system"},
        min_length=1,
        description=(
            "labels of the cluster DNS namespace: every workload's NetworkPolicy allows DNS egress to it"
        ),
    )
    pod_labels: Labels = Field(
        default_factory=lambda: {"k8s-app": "kube-dns"},
        description="labels of the cluster DNS pods the DNS egress rule admits",
    )
    port: Port = Field(53, description="the DNS port (UDP and TCP) every workload may reach on those pods")


class IpBlockSpec(StrictModel):
    cidr: Cidr = Field(
        description="the address range the rule admits (NetworkPolicy ipBlock.cidr)",
        examples=["203.0.113.0/24"],
    )
    except_: list[Cidr] = Field(
        default_factory=list,
        alias="except",
        description="ranges inside cidr left out (ipBlock.except)",
        examples=[["203.0.113.128/25"]],
    )

    @model_validator(mode="after")
    def _excepts_inside(self) -> IpBlockSpec:
        outer = ipaddress.ip_network(self.cidr)
        for index, value in enumerate(self.except_):
            inner = ipaddress.ip_network(value)
            # Kubernetes rejects an except outside its cidr; a silent no-op would be worse.
            if inner.version != outer.version or not inner.subnet_of(outer):  # type: ignore[arg-type]
                raise ValueError(f"except[{index}] {value!r} is not inside cidr {self.cidr!r}")
        return self


class InternetEgress(IpBlockSpec):
    """Where a workload with `egressInternet: true` may go: public addresses only."""

    cidr: Cidr = Field(
        "0.0.0.0/0",
        description=(
            "the range a workload with egressInternet: true may reach (its NetworkPolicy's ipBlock.cidr)"
        ),
    )
    except_: list[Cidr] = Field(
        default_factory=lambda: list(PRIVATE_RANGES),
        alias="except",
        description=(
            "ranges left out of that egress (ipBlock.except): by default the "
            "private ranges and the cloud metadata address"
        ),
    )

    # HTTPS only: every external dependency of the platform is an HTTPS API.
    ports: list[Port] = Field(
        default_factory=lambda: [443],
        description="the only ports internet egress opens (TCP); restating replaces",
    )


class ClusterAddresses(StrictModel):
    """Cluster parts that are addresses, not pods (the API server, the nodes): cluster facts
    each stack states. Empty means not reachable, and the estate warns who is cut off."""

    cidrs: list[Cidr] = Field(
        default_factory=list,
        description=(
            "the address ranges egress is opened to (kubernetesApi: the API server "
            "for workloads with automountTokenReason; nodes: the kubelets "
            "Prometheus scrapes); empty: none, and the estate warns who is cut off"
        ),
        examples=[["10.0.0.0/24"]],
    )


class KubernetesApi(ClusterAddresses):
    # The `kubernetes` Service listens on 443; CNIs judge the API server's own port after DNAT.
    ports: list[Port] = Field(
        default_factory=lambda: [443, 6443],
        description=(
            "the API server ports that egress opens (the Service's 443 and the server's own port after DNAT)"
        ),
    )


class RuleTarget(StrictModel):
    """Exactly one of: a workload of the estate, pods in other namespaces, an address block."""

    workload: Dns1035Label | None = Field(
        default=None, description="a workload of the estate", examples=["api"]
    )
    namespace: NamespacePeer | None = Field(
        default=None,
        description="pods in other namespaces, by namespace (and pod) labels",
        examples=[{"namespaceLabels": {"kubernetes.io/metadata.name": "observability"}}],
    )
    ip_block: IpBlockSpec | None = Field(
        default=None,
        description="an address block (CIDR) with optional exceptions",
        examples=[{"cidr": "203.0.113.0/24"}],
    )

    @model_validator(mode="after")
    def _one(self) -> RuleTarget:
        chosen = [self.workload is not None, self.namespace is not None, self.ip_block is not None]
        if sum(chosen) != 1:
            raise ValueError("a rule target needs exactly one of workload, namespace or ipBlock")
        return self


class IntentRule(StrictModel):
    """`from` (a workload) calls `to` on `ports`: the caller's egress and, for a workload
    target, the target's ingress. Ports are port names of a workload target, numbers otherwise."""

    from_: Dns1035Label = Field(
        examples=["alertmanager"],
        description=(
            "the workload (of the estate or the monitoring ones) that makes the call: its egress is opened"
        ),
        alias="from",
    )
    to: RuleTarget = Field(
        examples=[{"workload": "api"}],
        description=(
            "what it calls: a workload (whose ingress is opened too), pods of another namespace, or an "
            "address block"
        ),
    )
    ports: list[Port | PortName] = Field(
        examples=[[8080]], description="port names of a workload target, numbers otherwise", min_length=1
    )
    protocol: Literal["TCP", "UDP"] = Field(default="TCP", description="the ports' protocol")


def _rule_name(rule: Any, index: int, taken: set[str]) -> str:
    """A name for one rule of the old list form: caller and callee, else its position."""
    to = rule.get("to") if isinstance(rule, dict) else None
    callee = to.get("workload") if isinstance(to, dict) else None
    kind = next((k for k in ("namespace", "ipBlock") if isinstance(to, dict) and k in to), None)
    name = f"{rule.get('from')}-to-{callee or (kind or 'peer').lower()}" if isinstance(rule, dict) else ""
    if not is_dns_label(name) or name in taken:
        name = f"rule-{index + 1}"
    taken.add(name)
    return name


def _rules_are_a_map(value: Any) -> Any:
    if isinstance(value, list):
        taken: set[str] = set()
        entries = [(_rule_name(rule, i, taken), rule) for i, rule in enumerate(value)]
        raise ValueError(
            "network.rules is a map of rules by a name you choose (a list is no longer accepted): "
            f"write `rules: {map_form(entries)}`"
        )
    return value


class NetworkSpec(StrictModel):
    enabled: bool = Field(
        True,
        description=(
            "whether the ZeroTrustNetwork (default-deny and every per-workload NetworkPolicy) is created"
        ),
    )
    # Where the edge proxies run; None: the namespace of the ingress mode's controller.
    ingress_controller: NamespacePeer | None = Field(
        None,
        description=(
            "the namespace (and pods) of the edge proxies whose traffic the routed "
            "workloads admit; unset: ingress.mode's controller namespace"
        ),
        examples=[{"namespaceLabels": {"kubernetes.io/metadata.name": "traefik"}}],
    )
    dns: DnsSpec = Field(DnsSpec(), description="the cluster DNS pods every workload may query")
    internet: InternetEgress = Field(
        InternetEgress(),
        description=("the public addresses and ports workloads with egressInternet: true may reach"),
    )
    # Workloads that declare `automountTokenReason` call the API server; Prometheus scrapes
    # the kubelets on the nodes when node metrics are on.
    kubernetes_api: KubernetesApi = Field(
        KubernetesApi(), description="the API server addresses the workloads that call it may reach"
    )
    nodes: ClusterAddresses = Field(
        ClusterAddresses(),
        description=("the node addresses Prometheus may reach to scrape the kubelets (monitoring.nodes)"),
    )
    # The monitoring workloads, by name (MonitoringStack deploys them in the namespace).
    prometheus: Dns1035Label = Field(
        "prometheus",
        description="the workload the NetworkPolicies let scrape every scrape job's port (and the kubelets)",
    )
    alertmanager: Dns1035Label = Field(
        "alertmanager",
        description="the workload the NetworkPolicies let Prometheus send alerts to (its non-metrics ports)",
    )
    rules: Annotated[dict[DnsLabel, IntentRule], BeforeValidator(_rules_are_a_map)] = Field(
        examples=[
            {
                "alertmanager-to-relay": {
                    "from": "alertmanager",
                    "to": {"workload": "chatops-relay"},
                    "ports": ["http"],
                }
            }
        ],
        default_factory=dict,
        description=(
            "extra calls the NetworkPolicies allow, by a name of the stack's choosing; merged over "
            "the defaults like every map of named entries"
        ),
    )
