"""kube-state-metrics, at the pinned image's version (v2.13.0, built from its Go module),
against a real kube-apiserver holding the prod estate: every kube_* series an alert reads.

It runs with the rendered Deployment's arguments (only the listen addresses change) and as
the estate's own ServiceAccount (impersonated through its kubeconfig), so the Role the estate
gives it is what it reads with. The controller manager turns the Deployments and
StatefulSets into Pods; there is no kubelet, so container statuses (restarts, waiting
reasons) never exist: those families must be declared by kube-state-metrics' scrape, the
others must carry a series with the alert's own label matchers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.datastores.rendered import from_snapshot
from tests.monitoring.live import metrics_text
from tests.monitoring.selectors import Selector, rule_selectors
from tests.monitoring.servers import running, wait_for
from tests.support.program import Snapshot
from tests.support.tools import free_port, require_tool

from .controlplane import ControlPlane
from .estate import AppliedEstate

pytestmark = [pytest.mark.apiserver, pytest.mark.slow]

WORKLOAD = "kube-state-metrics"
# Families whose series only a kubelet's container statuses create.
NEEDS_KUBELET = {"kube_pod_container_status_restarts_total", "kube_pod_container_status_waiting_reason"}
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _matches(labels: dict[str, str], selector: Selector) -> bool:
    for name, op, value in selector.matchers:
        have = labels.get(name, "")
        ok = {
            "=": have == value,
            "!=": have != value,
            "=~": re.fullmatch(value, have) is not None,
            "!~": re.fullmatch(value, have) is None,
        }[op]
        if not ok:
            return False
    return True


def _samples(text: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            out.append((match.group(1), dict(_LABEL.findall(match.group(2) or ""))))
    return out


def _unproduced(selectors: list[Selector], text: str) -> list[str]:
    declared = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
    samples = _samples(text)
    missing = []
    for selector in selectors:
        if selector.name not in declared:
            missing.append(f"{selector.alert}: {selector.name} is not a kube-state-metrics family")
        elif selector.name not in NEEDS_KUBELET and not any(
            name == selector.name and _matches(labels, selector) for name, labels in samples
        ):
            missing.append(f"{selector.alert}: no series {selector.name}{selector.matchers}")
    return missing


def _impersonating(control_plane: ControlPlane, account: str, path: Path) -> Path:
    config = yaml.safe_load(control_plane.kubeconfig.read_text())
    for user in config["users"]:
        user["user"]["as"] = account
    path.write_text(yaml.safe_dump(config))
    return path


def test_every_kube_series_an_alert_reads(
    applied: AppliedEstate, prod: Snapshot, control_plane: ControlPlane, tmp_path: Path
) -> None:
    binary = require_tool("kube-state-metrics")
    deployment = next(
        o for o in applied.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == WORKLOAD
    )
    namespace = deployment["metadata"]["namespace"]
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    rendered = from_snapshot(prod, "kubernetes", WORKLOAD)
    rules = from_snapshot(prod, "kubernetes", "prometheus").files
    selectors = [
        s
        for s in rule_selectors({p: c for p, c in rules.items() if "/rules/" in p})
        if s.name.startswith("kube_")
    ]
    assert len({s.name for s in selectors}) >= 6, selectors

    port, telemetry = free_port(), free_port()
    args = [a for a in rendered.command if not a.startswith(("--port=", "--telemetry-port="))]
    assert len(args) == len(rendered.command) - 2, rendered.command
    kubeconfig = _impersonating(
        control_plane, f"system:serviceaccount:{namespace}:{account}", tmp_path / "kubeconfig"
    )
    command = [
        binary,
        *args,
        f"--kubeconfig={kubeconfig}",
        "--host=127.0.0.1",
        f"--port={port}",
        "--telemetry-host=127.0.0.1",
        f"--telemetry-port={telemetry}",
    ]
    log = tmp_path / "kube-state-metrics.log"
    address = f"127.0.0.1:{port}"
    with running(command, log):
        wait_for(
            "kube-state-metrics listing the estate's pods and its quota",
            lambda: all(
                f'{family}{{namespace="{namespace}"' in metrics_text(address)
                for family in ("kube_pod_info", "kube_resourcequota")
            ),
            120,
            log,
        )
        text = metrics_text(address)
    missing = _unproduced(selectors, text)
    assert not missing, "\n".join(missing)
    # The check can fail: a family kube-state-metrics does not have (the name without _total).
    planted = Selector("Planted", "kube_pod_container_status_restarts", (("namespace", "=", namespace),))
    assert _unproduced([planted], text), "a family kube-state-metrics lacks was not caught"
    logged = log.read_text(errors="replace")
    assert "forbidden" not in logged.lower(), logged[-3000:]
