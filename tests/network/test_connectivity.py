"""The estate's real connectivity, computed by network-config-analyzer, against the intent.

The intended matrix below is written by hand from the infrastructure changelog and the
issue, pair by pair; it is not produced by the code under test. nca reads the rendered
Deployments, StatefulSets and NetworkPolicies and says what the policies really allow.
Every intended connection must be there, and nothing else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.network.analyzer import (
    ALL,
    Connectivity,
    analyze,
    ip_ranges,
    merge,
    public_ipv4_minus,
    stand_in,
)
from tests.support.program import Snapshot, run_program
from tests.support.tools import require_tool

pytestmark = pytest.mark.nca

NS = "shiksha-setu"
DNS = "kube-system/coredns"
INTRUDER = "default/intruder"
STRAY = f"{NS}/stray"  # an unlabelled pod of the namespace: only the baseline applies to it
# The prod edge runs on Envoy Gateway (ingress mode gateway-api), whose proxies live here.
EDGE_NS = {"gateway-api": "envoy-gateway-system", "ingress-nginx": "ingress-nginx"}


def pod(name: str) -> str:
    return f"{NS}/{name}"


API, WORKER, BEAT, FRONTEND, VLLM, POSTGRES, REDIS = map(
    pod, ("api", "worker", "beat", "frontend", "vllm", "postgres", "redis")
)
PROMETHEUS, ALERTMANAGER, BLACKBOX = map(pod, ("prometheus", "alertmanager", "blackbox-exporter"))
PG_EXPORTER, REDIS_EXPORTER, KSM = map(pod, ("postgres-exporter", "redis-exporter", "kube-state-metrics"))
PLATFORM = (API, WORKER, BEAT, FRONTEND, VLLM, POSTGRES, REDIS)
MONITORING = (PROMETHEUS, ALERTMANAGER, BLACKBOX, PG_EXPORTER, REDIS_EXPORTER, KSM)

Conns = set[tuple[str, int | str]]
Intervals = list[tuple[int, int]]


def block(cidr: str) -> Intervals:
    net = ipaddress.IPv4Network(cidr)
    return [(int(net.network_address), int(net.broadcast_address))]


def tcp(*ports: int) -> Conns:
    return {("TCP", port) for port in ports}


DNS_PORTS: Conns = {("TCP", 53), ("UDP", 53)}
# The changelog's private exclusions from "the internet".
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]
PUBLIC = public_ipv4_minus(PRIVATE)
# Who may leave the cluster, on which port, to which addresses: the Celery worker (it
# declares egressInternet), Alertmanager (PagerDuty) and the blackbox exporter (it probes
# the public site as users reach it). HTTPS only.
INTERNET: dict[str, dict[tuple[str, int | str], Intervals]] = {
    WORKER: {("TCP", 443): PUBLIC},
    ALERTMANAGER: {("TCP", 443): PUBLIC},
    BLACKBOX: {("TCP", 443): PUBLIC},
}


def intended(edge: str) -> dict[tuple[str, str], Conns]:
    """The changelog's network, pair by pair (ports are the production workloads' ports)."""
    matrix = {
        # The edge reaches the API's HTTP port and the frontend (the edge routes), nothing else.
        (edge, API): tcp(8000),
        (edge, FRONTEND): tcp(3000),
        # PostgreSQL: only the API and the Celery worker (and its metrics exporter).
        (API, POSTGRES): tcp(5432),
        (WORKER, POSTGRES): tcp(5432),
        (PG_EXPORTER, POSTGRES): tcp(5432),
        # Redis: the API, the worker and Celery beat (and its metrics exporter).
        (API, REDIS): tcp(6379),
        (WORKER, REDIS): tcp(6379),
        (BEAT, REDIS): tcp(6379),
        (REDIS_EXPORTER, REDIS): tcp(6379),
        # vLLM: the API and the worker, on its serving port.
        (API, VLLM): tcp(8000),
        (WORKER, VLLM): tcp(8000),
        # Prometheus: every metrics port it scrapes (vLLM serves /metrics on its serving
        # port), the exporters, the blackbox exporter it asks for probes, and Alertmanager.
        (PROMETHEUS, API): tcp(9100),
        (PROMETHEUS, WORKER): tcp(9808),
        (PROMETHEUS, VLLM): tcp(8000),
        (PROMETHEUS, PG_EXPORTER): tcp(9187),
        (PROMETHEUS, REDIS_EXPORTER): tcp(9121),
        (PROMETHEUS, KSM): tcp(8080),
        (PROMETHEUS, BLACKBOX): tcp(9115),
        (PROMETHEUS, ALERTMANAGER): tcp(9093),
        # The blackbox exporter probes the health endpoints the workloads serve.
        (BLACKBOX, API): tcp(8000),
        (BLACKBOX, FRONTEND): tcp(3000),
        (BLACKBOX, VLLM): tcp(8000),
    }
    # The one central DNS policy: every pod of the namespace, cluster DNS only.
    for source in (*PLATFORM, *MONITORING, STRAY):
        matrix[(source, DNS)] = set(DNS_PORTS)
    return matrix


def differences(
    found: Connectivity,
    want: Mapping[tuple[str, str], Conns],
    addresses: Mapping[str, Mapping[tuple[str, int | str], Intervals]],
) -> list[str]:
    """Every way the computed map differs from the intent, one line each."""
    problems = []
    got = found.touching(NS)
    reached: dict[str, dict[tuple[str, int | str], Intervals]] = {}
    for (src, dst), conns in sorted(got.items()):
        block = ip_ranges(dst)
        if block is not None:
            for conn in conns:
                reached.setdefault(src, {}).setdefault(conn, []).append(block)
        elif ip_ranges(src) is not None:
            problems.append(f"unintended: addresses {src} -> {dst}: {sorted(conns, key=str)}")
        elif (src, dst) not in want:
            problems.append(f"unintended: {src} -> {dst}: {sorted(conns, key=str)}")
        elif conns != want[(src, dst)]:
            problems.append(f"{src} -> {dst}: {sorted(conns, key=str)}, intended {sorted(want[(src, dst)])}")
    for pair, conns in want.items():
        if pair not in got:
            problems.append(f"missing: {pair[0]} -> {pair[1]} {sorted(conns)}")
    for src in sorted(set(addresses) | set(reached)):
        got_blocks = {conn: merge(blocks) for conn, blocks in reached.get(src, {}).items()}
        want_blocks = {conn: merge(blocks) for conn, blocks in addresses.get(src, {}).items()}
        if got_blocks != want_blocks:
            problems.append(f"{src} reaches addresses {got_blocks}, intended {want_blocks}")
    return problems


def rendered(snapshot: Snapshot) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    objects = snapshot.kubernetes_objects()
    workloads = [r.manifest for r in objects if r.kind in ("Deployment", "StatefulSet")]
    policies = [r.manifest for r in objects if r.kind == "NetworkPolicy"]
    assert workloads and policies
    return workloads, policies


def stand_ins(edge_ns: str) -> list[dict[str, Any]]:
    return [
        stand_in("kube-system", "coredns", {"k8s-app": "kube-dns"}, 53),
        stand_in(edge_ns, "edge", {"app": "edge-proxy"}, 10080),
        stand_in("default", "intruder", {"app": "intruder"}, 80),
        stand_in(NS, "stray", {"app": "stray"}, 80),
    ]


def connectivity(tmp_path: Path, snapshot: Snapshot, edge_ns: str) -> Connectivity:
    workloads, policies = rendered(snapshot)
    return analyze(
        tmp_path,
        workloads + stand_ins(edge_ns),
        policies,
        [NS, "kube-system", edge_ns, "default"],
        require_tool("nca"),
    )


EDGE = f"{EDGE_NS['gateway-api']}/edge"


def test_prod_connectivity_is_exactly_the_intent(tmp_path: Path, prod: Snapshot) -> None:
    found = connectivity(tmp_path, prod, EDGE_NS["gateway-api"])
    assert differences(found, intended(EDGE), INTERNET) == [], found.raw


def test_nothing_outside_the_intent_reaches_the_namespace(tmp_path: Path, prod: Snapshot) -> None:
    found = connectivity(tmp_path, prod, EDGE_NS["gateway-api"]).touching(NS)
    # Spelled out, because these are the paths an attacker would try first.
    assert not [pair for pair in found if pair[0] == INTRUDER]
    assert not [pair for pair in found if pair[1] == STRAY]
    assert not [pair for pair in found if ip_ranges(pair[0]) is not None]
    assert not [pair for pair in found if pair[0] in (POSTGRES, REDIS, VLLM) and pair[1] != DNS]
    assert found[(WORKER, DNS)] == DNS_PORTS
    assert ALL not in set().union(*found.values())


def test_ingress_nginx_mode_moves_the_edge_peer(tmp_path: Path) -> None:
    snapshot = run_program("prod", overrides={"ingress": {"mode": "ingress-nginx"}})
    found = connectivity(tmp_path, snapshot, EDGE_NS["ingress-nginx"])
    assert differences(found, intended(f"{EDGE_NS['ingress-nginx']}/edge"), INTERNET) == []


def test_stated_cluster_addresses_open_exactly_the_api_server_and_kubelets(tmp_path: Path) -> None:
    network = {"kubernetesApi": {"cidrs": ["10.0.0.1/32"]}, "nodes": {"cidrs": ["10.20.0.0/16"]}}
    found = connectivity(
        tmp_path, run_program("prod", overrides={"network": network}), EDGE_NS["gateway-api"]
    )
    api_server, nodes = block("10.0.0.1/32"), block("10.20.0.0/16")
    addresses: dict[str, dict[tuple[str, int | str], Intervals]] = {
        **INTERNET,
        # Only the workloads that declared they need their token reach the API server.
        PROMETHEUS: {("TCP", 443): api_server, ("TCP", 6443): api_server, ("TCP", 10250): nodes},
        KSM: {("TCP", 443): api_server, ("TCP", 6443): api_server},
    }
    assert differences(found, intended(EDGE), addresses) == [], found.raw


@pytest.mark.parametrize(
    ("overrides", "opened"),
    [
        # A workload that starts calling PostgreSQL without anyone meaning it to.
        ({"workloads": {"beat": {"connectsTo": ["redis", "postgres"]}}}, f"unintended: {BEAT} -> {POSTGRES}"),
        # An extra intent rule: the frontend calling the API from inside the cluster.
        (
            {
                "network": {
                    "rules": {"extra": {"from": "frontend", "to": {"workload": "api"}, "ports": ["http"]}}
                }
            },
            f"unintended: {FRONTEND} -> {API}",
        ),
        # The API allowed onto the internet.
        ({"workloads": {"api": {"egressInternet": True}}}, f"{API} reaches addresses"),
        # A private range dropped from the exclusions: the worker could reach the VPC.
        (
            {"network": {"internet": {"except": ["10.0.0.0/8", "172.16.0.0/12", "169.254.169.254/32"]}}},
            f"{WORKER} reaches addresses",
        ),
        # The ingress controller pointed at the wrong namespace: the real edge is cut off.
        (
            {
                "network": {
                    "ingressController": {"namespaceLabels": {"kubernetes.io/metadata.name": "default"}}
                }
            },
            f"unintended: {INTRUDER} -> {API}",
        ),
    ],
)
def test_an_unintended_path_fails_the_comparison(
    tmp_path: Path, overrides: dict[str, Any], opened: str
) -> None:
    found = connectivity(tmp_path, run_program("prod", overrides=overrides), EDGE_NS["gateway-api"])
    problems = differences(found, intended(EDGE), INTERNET)
    assert [p for p in problems if p.startswith(opened)], problems


def test_a_missing_analyzer_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under CI the proof must run: a missing nca is a failure, never a silent skip.
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_tool("nca-not-installed-anywhere")
