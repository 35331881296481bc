"""The drawing of the estate: its connections equal what network-config-analyzer computes
from the rendered prod estate, and Graphviz renders it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from components.config.defaults import deep_merge
from components.config.loader import parse_estate
from components.views.diagram import ALL, Endpoint, EstateGraph, estate_graph, to_dot
from tests.network.analyzer import Connectivity, ip_ranges, merge, public_ipv4_minus
from tests.network.test_connectivity import EDGE_NS, INTRUDER, STRAY, connectivity
from tests.support.program import Snapshot, run_program
from tests.support.tools import require_tool
from tools.diagram import ROOT, dot_text, render_svg, stack_values

NS = "shiksha-setu"
SVG = "{http://www.w3.org/2000/svg}"
# The stand-in pods tests/network puts in each outside namespace.
STAND_IN = {"kube-system": "coredns", EDGE_NS["gateway-api"]: "edge", EDGE_NS["ingress-nginx"]: "edge"}

Drawn = dict[tuple[str, str], set[tuple[str, Any]]]
Ranges = dict[tuple[str, tuple[str, Any]], list[tuple[int, int]]]


def _name(end: Endpoint) -> str:
    if end.kind == "workload":
        return f"{NS}/{end.name}"
    return f"{end.namespace}/{STAND_IN[end.namespace]}"


def _intervals(end: Endpoint) -> list[tuple[int, int]]:
    first, last = ip_ranges(end.cidr) or (0, 0)
    holes = public_ipv4_minus(end.except_)
    return merge((max(low, first), min(high, last)) for low, high in holes if low <= last and high >= first)


def drawn(graph: EstateGraph) -> tuple[Drawn, Ranges]:
    """The drawing's connections in nca's terms: pod pairs, and address ranges per caller."""
    pairs: Drawn = {}
    ranges: Ranges = {}
    for (source, target), ports in graph.connections.items():
        conns = {("*", "*")} if ALL in ports else set(ports)
        if target.kind == "addresses":
            for conn in conns:
                ranges.setdefault((_name(source), conn), []).extend(_intervals(target))
        else:
            pairs[(_name(source), _name(target))] = conns
    return pairs, {key: merge(value) for key, value in ranges.items()}


def computed(found: Connectivity) -> tuple[Drawn, Ranges]:
    pairs: Drawn = {}
    ranges: Ranges = {}
    for (source, target), conns in found.touching(NS).items():
        if STRAY in (source, target):
            continue  # a stand-in pod no workload spec describes: not part of the drawing
        block = ip_ranges(target)
        if block is not None:
            for conn in conns:
                ranges.setdefault((source, conn), []).append(block)
        else:
            pairs[(source, target)] = {("*", "*") if c == ("*", "*") else c for c in conns}
    return pairs, {key: merge(value) for key, value in ranges.items()}


def _compare(tmp_path: Path, snapshot: Snapshot, graph: EstateGraph) -> None:
    found = connectivity(tmp_path, snapshot, EDGE_NS["gateway-api"])
    want_pairs, want_ranges = computed(found)
    got_pairs, got_ranges = drawn(graph)
    assert not [pair for pair in want_pairs if INTRUDER in pair]
    assert got_pairs == want_pairs, found.raw
    assert got_ranges == want_ranges, found.raw


@pytest.mark.nca
def test_prod_drawing_equals_the_analyzers_connectivity(tmp_path: Path, prod: Snapshot) -> None:
    graph = estate_graph(parse_estate(stack_values("prod")))
    assert len(graph.connections) > 30  # the whole estate, not an empty picture
    _compare(tmp_path, prod, graph)


@pytest.mark.nca
@pytest.mark.parametrize(
    "overrides",
    [
        # A path nobody meant: it must appear in both, or in neither.
        {"workloads": {"beat": {"connectsTo": ["redis", "postgres"]}}},
        {"workloads": {"api": {"egressInternet": True}}},
        {"network": {"rules": {"extra": {"from": "frontend", "to": {"workload": "api"}, "ports": ["http"]}}}},
    ],
)
def test_a_changed_intent_changes_both_alike(tmp_path: Path, overrides: dict[str, Any]) -> None:
    snapshot = run_program("prod", overrides=overrides)
    graph = estate_graph(parse_estate(deep_merge(stack_values("prod"), overrides)))
    _compare(tmp_path, snapshot, graph)


def _titles(svg: bytes) -> tuple[set[str], set[str]]:
    root = ET.fromstring(svg)  # noqa: S314 (dot output made by the test itself)
    groups = {"node": set(), "edge": set()}
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        title = group.find(f"{SVG}title")
        if kind in groups and title is not None and title.text:
            groups[kind].add(title.text)
    return groups["node"], groups["edge"]


def test_dot_renders_every_workload_and_connection() -> None:
    graph = estate_graph(parse_estate(stack_values("prod")))
    dot = to_dot(graph)
    nodes, edges = _titles(render_svg(dot, require_tool("dot")))
    assert {f"w:{name}" for name in graph.workloads} <= nodes
    assert {"clients", "w:api", "w:postgres"} <= nodes
    # Every workload-to-workload call is an edge of its own (DNS is drawn once, from the namespace).
    inside = {(s.name, t.name) for s, t in graph.connections if s.kind == t.kind == "workload"}
    assert {tuple(e.replace("w:", "").split("->")) for e in edges if e.count("w:") == 2} == inside
    assert "every pod: TCP 53, UDP 53" in dot


def test_committed_svg_is_the_prod_drawing() -> None:
    committed = (ROOT / "docs" / "estate.svg").read_bytes()
    fresh = render_svg(dot_text("prod"), require_tool("dot"))
    assert _titles(committed) == _titles(fresh), "run `make diagram` and commit docs/estate.svg"


def test_the_edge_and_a_cdn_are_drawn() -> None:
    config = parse_estate(
        {
            "cdn": {
                "enabled": True,
                "originHost": "origin.shikshasetu.example.org",
                "allowedRanges": ["203.0.113.0/24"],
            }
        }
    )
    dot = to_dot(estate_graph(config))
    assert '"clients" -> "cdn"' in dot
    assert "only from 203.0.113.0/24" in dot
    assert "TCP 8000\\n/api /ws" in dot
