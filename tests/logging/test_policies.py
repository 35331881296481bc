"""The policy pack over the LoggingStack: exactly the host-path controls fire on the
collector, and the written exemption file (with its reasons) waives them and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.policies.pack_client import PackProcess

from .support import logging_estate

pytestmark = [pytest.mark.slow]

EXEMPTIONS = Path(__file__).resolve().parents[2] / "policies" / "exemptions" / "log-collector.json"
WAIVED = {
    "pss-baseline-host-path",
    "pss-restricted-volume-types",
    "pss-restricted-run-as-non-root",
    "pss-restricted-run-as-non-root-user",
}


def _resources() -> list[tuple[str, dict[str, Any], str]]:
    return [
        (r.type, json.loads(json.dumps(r.manifest, default=str)), r.name)
        for r in logging_estate().resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    ]


def _mandatory(pack: PackProcess) -> set[tuple[str, str]]:
    found = set()
    resources = _resources()
    for rtype, props, name in resources:
        found |= {(d["policy"], name) for d in pack.analyze(rtype, props, name) if d["level"] == "mandatory"}
    found |= {(d["policy"], "<stack>") for d in pack.analyze_stack(resources) if d["level"] == "mandatory"}
    return found


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as process:
        yield process


def test_without_exemptions_only_the_host_path_controls_fire_on_the_collector(pack: PackProcess) -> None:
    pack.configure({})
    assert _mandatory(pack) == {(policy, "log-collector") for policy in WAIVED}


def test_the_written_exemptions_waive_them_with_their_reasons(pack: PackProcess) -> None:
    config = json.loads(EXEMPTIONS.read_text())
    assert set(config) == WAIVED
    pack.configure(config)
    assert _mandatory(pack) == set()
