"""The estate at a glance: who may talk to whom, on which ports, and the edge routes, as a
Graphviz DOT graph (`make diagram` renders it to docs/estate.svg).

The connections are read from the NetworkPolicies ZeroTrustNetwork registers for the plan's
network intent (plan_policies(network_intent(config))), not re-derived from the intent: the
drawing shows exactly what is deployed, and the derivation stays in one place. A call
between two workloads needs both the caller's egress and the callee's ingress (the
baseline denies both); a peer outside the namespace (cluster DNS, the edge's controller,
address blocks) needs only the namespace's own side. tests/diagram proves the result equal
to what network-config-analyzer computes from the same policies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.config.cdn import served_hosts
from components.config.estate import EstateConfig
from components.kube.labels import selector_labels
from components.kube.network_policies import plan_policies
from components.plan.monitoring import scrape_jobs
from components.plan.network import NetworkIntent, network_intent

NAMESPACE_NAME = "kubernetes.io/metadata.name"
# Every port and protocol (a rule without ports).
ALL: tuple[str, int | str] = ("*", "*")
Ports = frozenset[tuple[str, int | str]]


@dataclass(frozen=True, order=True)
class Endpoint:
    """A workload of the namespace, pods of another namespace, or an address block."""

    kind: str  # "workload" | "pods" | "addresses"
    name: str = ""  # workload name
    namespace_labels: tuple[tuple[str, str], ...] = ()
    pod_labels: tuple[tuple[str, str], ...] = ()
    cidr: str = ""
    except_: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        return dict(self.namespace_labels).get(NAMESPACE_NAME, "")


@dataclass
class EstateGraph:
    namespace: str
    workloads: list[str]
    # (source, target) -> allowed (protocol, port) pairs; ALL for every port.
    connections: dict[tuple[Endpoint, Endpoint], Ports] = field(default_factory=dict)
    # The edge: who clients reach, and each backend's route paths.
    edge: Endpoint | None = None
    hosts: list[str] = field(default_factory=list)
    routes: dict[str, list[str]] = field(default_factory=dict)
    cdn_ranges: list[str] = field(default_factory=list)


def _labels(selector: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((selector or {}).get("matchLabels") or {}).items()))


def _ports(rule: Mapping[str, Any]) -> Ports:
    ports = rule.get("ports")
    if not ports:
        return frozenset({ALL})
    return frozenset((p.get("protocol", "TCP"), p["port"]) for p in ports)


def _both(a: Ports, b: Ports) -> Ports:
    if ALL in a:
        return b
    if ALL in b:
        return a
    return a & b


class _Selection:
    """Which of the namespace's workloads a selector or a peer picks."""

    def __init__(self, intent: NetworkIntent):
        self.namespace = intent.namespace
        self.pod_labels = {name: selector_labels(name, intent.part_of) for name in intent.workloads}

    def workloads(self, pod_labels: tuple[tuple[str, str], ...]) -> list[str]:
        return [w for w, labels in self.pod_labels.items() if all(labels.get(k) == v for k, v in pod_labels)]

    def peer(self, peer: Mapping[str, Any]) -> list[Endpoint]:
        """A NetworkPolicyPeer as endpoints: workloads when it selects this namespace."""
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            return [Endpoint("addresses", cidr=block["cidr"], except_=tuple(block.get("except", ())))]
        pods = _labels(peer.get("podSelector"))
        if "namespaceSelector" in peer:
            namespaces = _labels(peer["namespaceSelector"])
            if namespaces != ((NAMESPACE_NAME, self.namespace),):
                return [Endpoint("pods", namespace_labels=namespaces, pod_labels=pods)]
        return [Endpoint("workload", name) for name in self.workloads(pods)]


def estate_graph(config: EstateConfig) -> EstateGraph:
    intent = network_intent(config, scrape_jobs(config))
    select = _Selection(intent)
    egress: dict[str, list[Mapping[str, Any]]] = {w: [] for w in intent.workloads}
    ingress: dict[str, list[Mapping[str, Any]]] = {w: [] for w in intent.workloads}
    for policy in plan_policies(intent):
        spec = policy["spec"]
        for workload in select.workloads(_labels(spec["podSelector"])):
            if "Egress" in spec.get("policyTypes", []):
                egress[workload] += spec.get("egress") or []
            if "Ingress" in spec.get("policyTypes", []):
                ingress[workload] += spec.get("ingress") or []

    allowed: dict[tuple[Endpoint, Endpoint], Ports] = {}

    def allow(source: Endpoint, target: Endpoint, ports: Ports) -> None:
        if ports:
            allowed[(source, target)] = allowed.get((source, target), frozenset()) | ports

    # The caller's side: its egress to everything; outside peers need nothing more.
    reach: dict[tuple[str, Endpoint], Ports] = {}
    for workload, rules in egress.items():
        for rule in rules:
            for peer in rule.get("to", []):
                for target in select.peer(peer):
                    key = (workload, target)
                    reach[key] = reach.get(key, frozenset()) | _ports(rule)
    for (workload, target), ports in reach.items():
        if target.kind != "workload":
            allow(Endpoint("workload", workload), target, ports)
    # The callee's side: its ingress; a call inside the namespace needs both sides.
    for workload, rules in ingress.items():
        callee = Endpoint("workload", workload)
        for rule in rules:
            for peer in rule.get("from", []):
                for source in select.peer(peer):
                    if source.kind != "workload":
                        allow(source, callee, _ports(rule))
                    else:
                        allow(
                            source, callee, _both(reach.get((source.name, callee), frozenset()), _ports(rule))
                        )

    graph = EstateGraph(intent.namespace, sorted(intent.workloads), dict(sorted(allowed.items())))
    if config.ingress.enabled and intent.routes:
        spec = intent.spec
        labels = (
            spec.ingress_controller.namespace_labels
            if spec.ingress_controller
            else intent.controller_namespace_labels
        )
        pods = spec.ingress_controller.pod_labels if spec.ingress_controller else {}
        graph.edge = Endpoint(
            "pods", namespace_labels=tuple(sorted(labels.items())), pod_labels=_labels({"matchLabels": pods})
        )
        graph.hosts = served_hosts(config.edge, config.cdn)
        for route in config.edge.route_list:
            graph.routes.setdefault(route.backend, []).append(route.path)
        if config.cdn.enabled:
            graph.cdn_ranges = list(config.cdn.allowed_ranges)
    return graph


# --- DOT -------------------------------------------------------------------------------


def _q(value: str) -> str:
    """A DOT quoted string: backslash and quote escaped, newlines as DOT's centred breaks."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _port_text(ports: Iterable[tuple[str, int | str]]) -> str:
    ports = sorted(ports, key=lambda p: (str(p[0]), str(p[1])))
    if ALL in ports:
        return "all ports"
    by_proto: dict[str, list[str]] = {}
    for proto, port in ports:
        by_proto.setdefault(proto, []).append(str(port))
    return ", ".join(f"{proto} {'/'.join(numbers)}" for proto, numbers in by_proto.items())


def node_id(endpoint: Endpoint) -> str:
    if endpoint.kind == "workload":
        return f"w:{endpoint.name}"
    if endpoint.kind == "addresses":
        return f"a:{endpoint.cidr}:{','.join(endpoint.except_)}"
    return f"p:{endpoint.namespace_labels}:{endpoint.pod_labels}"


def _node_label(endpoint: Endpoint, graph: EstateGraph) -> str:
    if endpoint.kind == "workload":
        return endpoint.name
    if endpoint.kind == "addresses":
        head = "the internet" if endpoint.cidr in ("0.0.0.0/0", "::/0") else endpoint.cidr
        return head + (f"\nexcept {', '.join(endpoint.except_)}" if endpoint.except_ else "")
    if endpoint == graph.edge:
        return "edge proxy\n(ingress controller)"
    pods = ", ".join(f"{k}={v}" for k, v in endpoint.pod_labels) or "any pod"
    return pods


def _cluster_name(endpoint: Endpoint) -> str:
    namespaces = ", ".join(f"{k}={v}" for k, v in endpoint.namespace_labels if k != NAMESPACE_NAME)
    return endpoint.namespace or namespaces


def to_dot(graph: EstateGraph) -> str:
    """The graph as DOT text: namespaces as clusters, calls as edges labelled with ports,
    the edge routes as the edge proxy's edges labelled with their paths."""
    out = [
        "digraph estate {",
        "  graph [rankdir=LR, fontname=Helvetica, fontsize=11, compound=true, nodesep=0.35, ranksep=1.1];",
        '  node [fontname=Helvetica, fontsize=10, shape=box, style="rounded,filled", fillcolor=white];',
        "  edge [fontname=Helvetica, fontsize=9];",
    ]
    outside: dict[str, list[Endpoint]] = {}
    blocks: set[Endpoint] = set()
    for source, target in graph.connections:
        for end in (source, target):
            if end.kind == "pods":
                outside.setdefault(_cluster_name(end), [])
                if end not in outside[_cluster_name(end)]:
                    outside[_cluster_name(end)].append(end)
            elif end.kind == "addresses":
                blocks.add(end)
    if graph.edge is not None and graph.edge not in outside.get(_cluster_name(graph.edge), []):
        outside.setdefault(_cluster_name(graph.edge), []).append(graph.edge)

    out.append(f"  subgraph {_q('cluster_' + graph.namespace)} {{")
    out.append(f'    label={_q("namespace " + graph.namespace)}; style=filled; fillcolor="#eef4fb";')
    for workload in graph.workloads:
        out.append(f"    {_q('w:' + workload)} [label={_q(workload)}];")
    out.append("  }")
    for index, (cluster, endpoints) in enumerate(sorted(outside.items())):
        out.append(f"  subgraph {_q(f'cluster_outside_{index}')} {{")
        out.append(f'    label={_q("namespace " + cluster)}; style=filled; fillcolor="#f4f4f4";')
        for end in sorted(endpoints):
            out.append(f"    {_q(node_id(end))} [label={_q(_node_label(end, graph))}];")
        out.append("  }")
    for end in sorted(blocks):
        out.append(
            f'  {_q(node_id(end))} [label={_q(_node_label(end, graph))}, shape=ellipse, fillcolor="#fff4e0"];'
        )

    # Calls every workload makes alike (the one DNS policy) drawn once, from the namespace.
    everyone = set(graph.workloads)
    shared: dict[tuple[Endpoint, Ports], set[str]] = {}
    for (source, target), ports in graph.connections.items():
        if source.kind == "workload" and target.kind != "workload":
            shared.setdefault((target, ports), set()).add(source.name)
    collapsed = {key for key, callers in shared.items() if callers == everyone and len(everyone) > 1}
    anchor = _q("w:" + graph.workloads[0]) if graph.workloads else ""
    for target, ports in sorted(collapsed, key=lambda k: node_id(k[0])):
        out.append(
            f"  {anchor} -> {_q(node_id(target))} [label={_q('every pod: ' + _port_text(ports))}, "
            f"ltail={_q('cluster_' + graph.namespace)}, style=dashed];"
        )
    for (source, target), ports in graph.connections.items():
        if source.kind == "workload" and (target, ports) in collapsed:
            continue
        label = _port_text(ports)
        attrs = ""
        if graph.edge is not None and source == graph.edge and target.kind == "workload":
            paths = graph.routes.get(target.name, [])
            label += "\n" + " ".join(paths) if paths else ""
            attrs = ', color="#1f6fbf", penwidth=1.6'
        out.append(f"  {_q(node_id(source))} -> {_q(node_id(target))} [label={_q(label)}{attrs}];")

    if graph.edge is not None:
        clients = _q("clients")
        out.append(f'  {clients} [label={_q("clients")}, shape=ellipse, fillcolor="#fff4e0"];')
        https = "HTTPS 443\n" + "\n".join(graph.hosts)
        if graph.cdn_ranges:
            cdn = _q("cdn")
            out.append(f'  {cdn} [label={_q("CDN")}, shape=ellipse, fillcolor="#fff4e0"];')
            out.append(f'  {clients} -> {cdn} [label={_q("HTTPS 443")}, color="#1f6fbf"];')
            ranges = "only from " + ", ".join(graph.cdn_ranges) + "\nwith the origin-auth header"
            label = _q(https + "\n" + ranges)
            out.append(f'  {cdn} -> {_q(node_id(graph.edge))} [label={label}, color="#1f6fbf"];')
        else:
            out.append(f'  {clients} -> {_q(node_id(graph.edge))} [label={_q(https)}, color="#1f6fbf"];')
    out.append("}")
    return "\n".join(out) + "\n"
