"""The ingress-nginx edge with Cache-Control by path class passes the policy pack: every
Ingress and ConfigMap of the estate, sent over the pack's gRPC interface as the engine sends
them, draws no mandatory violation and no edge-tls-hsts finding (an advisory policy that reads
the ConfigMap each Ingress names); a cache-class ConfigMap without HSTS is caught, so that
pass is not vacuous."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.policies.pack_client import PackProcess, engine_resources
from tests.support.program import run_program

pytestmark = pytest.mark.timeout(600)

Resource = tuple[str, dict[str, Any], str]


@pytest.fixture(scope="module")
def estate() -> list[Resource]:
    return engine_resources(run_program("prod", overrides={"ingress": {"mode": "ingress-nginx"}}).resources)


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        p.configure({})
        yield p


def _mandatory(pack: PackProcess, resources: list[Resource]) -> list[dict[str, Any]]:
    found = []
    for rtype, props, name in resources:
        found += [d for d in pack.analyze(rtype, props, name) if d["level"] == "mandatory"]
    return found + [d for d in pack.analyze_stack(resources) if d["level"] == "mandatory"]


def test_the_ingress_nginx_estate_has_no_mandatory_violation(
    pack: PackProcess, estate: list[Resource]
) -> None:
    names = {name for rtype, _props, name in estate if rtype.endswith(":Ingress")}
    assert {"shiksha-setu-immutable", "shiksha-setu-revalidate"} <= names
    mandatory = _mandatory(pack, estate)
    assert mandatory == [], "\n".join(f"[{d['policy']}] {d['message']}" for d in mandatory)
    assert _hsts_findings(pack, estate) == []


def _hsts_findings(pack: PackProcess, resources: list[Resource]) -> list[str]:
    return [d["message"] for d in pack.analyze_stack(resources) if d["policy"] == "edge-tls-hsts"]


def test_a_cache_class_config_map_without_hsts_is_caught(pack: PackProcess, estate: list[Resource]) -> None:
    broken = copy.deepcopy(estate)
    [data] = [
        props["data"]
        for rtype, props, name in broken
        if rtype.endswith(":ConfigMap") and name == "edge-security-headers-immutable"
    ]
    del data["Strict-Transport-Security"]
    [finding] = _hsts_findings(pack, broken)
    assert "shiksha-setu-immutable" in finding
    assert "no Strict-Transport-Security" in finding
