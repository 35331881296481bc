"""Runs network-config-analyzer (nca) on rendered objects and parses its connectivity map.

nca is handed the workloads and NetworkPolicies exactly as the program registers them,
plus a few stand-in pods outside the platform namespace (cluster DNS, the ingress
controller's proxies, an unrelated pod), and computes which connections the policies
really allow.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.values.numbers import whole_numbers

NAME_LABEL = "kubernetes.io/metadata.name"
ALL = ("*", "*")

# One connection of nca's txt_no_fw_rules output: "<src> => <dst> : <connections>".
_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.+)$")
_CONN = re.compile(r"\{protocols:(?P<protocols>[A-Z, ]+),dst_ports:(?P<ports>[0-9,\- ]+)\}")


def stand_in(namespace: str, name: str, labels: Mapping[str, str], port: int) -> dict[str, Any]:
    """A minimal Deployment standing for pods the estate does not own."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [{"name": name, "image": "stand-in:1", "ports": [{"containerPort": port}]}]
                },
            },
        },
    }


def _ports(text: str) -> list[int]:
    found: list[int] = []
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        found += range(int(low), int(high or low) + 1)
    return found


def parse_connections(text: str) -> set[tuple[str, int | str]]:
    """`{protocols:TCP, UDP,dst_ports:53}` -> {("TCP", 53), ("UDP", 53)}; all -> {ALL}."""
    if text.strip() == "All connections":
        return {ALL}
    found: set[tuple[str, int | str]] = set()
    matches = list(_CONN.finditer(text))
    if not matches:
        raise ValueError(f"cannot read nca connections {text!r}")
    for match in matches:
        for protocol in match.group("protocols").replace(" ", "").split(","):
            found |= {(protocol, port) for port in _ports(match.group("ports"))}
    return found


@dataclass(frozen=True)
class Connectivity:
    """Pod-to-pod pairs ("namespace/workload") and pod-to-address ranges, with their ports."""

    pairs: dict[tuple[str, str], set[tuple[str, int | str]]]
    raw: str

    def touching(self, namespace: str) -> dict[tuple[str, str], set[tuple[str, int | str]]]:
        """Only connections with one end in `namespace` (the rest is the stand-ins' business)."""
        prefix = f"{namespace}/"
        return {
            pair: conns for pair, conns in self.pairs.items() if any(end.startswith(prefix) for end in pair)
        }


def _endpoint(text: str) -> str:
    return re.sub(r"\[[A-Za-z]+\]$", "", text)


def analyze(
    workdir: Path,
    workloads: Sequence[Mapping[str, Any]],
    policies: Sequence[Mapping[str, Any]],
    namespaces: Iterable[str],
    nca: str,
) -> Connectivity:
    workdir.mkdir(parents=True, exist_ok=True)
    pods = workdir / "workloads.yaml"
    pods.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [whole_numbers(w) for w in workloads]})
    )
    nss = workdir / "namespaces.yaml"
    nss.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": ns, "labels": {NAME_LABEL: ns}},
                    }
                    for ns in sorted(set(namespaces))
                ],
            }
        )
    )
    netpols = workdir / "policies.yaml"
    netpols.write_text(yaml.safe_dump_all([whole_numbers(p) for p in policies]))
    result = subprocess.run(
        [
            nca,
            "--connectivity",
            str(netpols),
            "--pod_list",
            str(pods),
            "--ns_list",
            str(nss),
            "--output_format",
            "txt_no_fw_rules",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise AssertionError(f"nca failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    pairs: dict[tuple[str, str], set[tuple[str, int | str]]] = {}
    for line in result.stdout.splitlines():
        match = _LINE.match(line.strip())
        if match:
            key = (_endpoint(match.group("src")), _endpoint(match.group("dst")))
            pairs.setdefault(key, set()).update(parse_connections(match.group("conn")))
    if not pairs:
        raise AssertionError(f"nca reported no connections at all:\n{result.stdout}\n{result.stderr}")
    return Connectivity(pairs, result.stdout)


def ip_ranges(text: str) -> tuple[int, int] | None:
    """An nca address endpoint ("11.0.0.0-169.254.169.253", "10.0.0.1", "10.0.0.0/16") as
    (first, last) integers; None for a pod endpoint."""
    if "/" in text and re.match(r"^\d+\.\d+\.\d+\.\d+/\d+$", text):
        net = ipaddress.IPv4Network(text)
        return int(net.network_address), int(net.broadcast_address)
    match = re.match(r"^(\d+\.\d+\.\d+\.\d+)(?:-(\d+\.\d+\.\d+\.\d+))?$", text)
    if not match:
        return None
    first = int(ipaddress.IPv4Address(match.group(1)))
    return first, int(ipaddress.IPv4Address(match.group(2))) if match.group(2) else first


def public_ipv4_minus(excluded: Iterable[str]) -> list[tuple[int, int]]:
    """0.0.0.0/0 without `excluded`, as merged (first, last) intervals."""
    holes = sorted(
        (int(net.network_address), int(net.broadcast_address))
        for net in (ipaddress.IPv4Network(cidr) for cidr in excluded)
    )
    intervals = []
    start = 0
    for low, high in holes:
        if low > start:
            intervals.append((start, low - 1))
        start = max(start, high + 1)
    if start <= 2**32 - 1:
        intervals.append((start, 2**32 - 1))
    return intervals


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged
