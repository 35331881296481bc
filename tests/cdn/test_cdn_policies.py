"""The estate with a CDN switched on passes the policy pack as the prod estate does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.pack_client import PackProcess
from tests.support.program import TEST_SECRETS, run_program

pytestmark = pytest.mark.timeout(600)

CDN = {"enabled": True, "originHost": "origin.shikshasetu.example.org", "allowedRanges": ["203.0.113.0/24"]}


def _resources(**overrides: Any) -> list[tuple[str, dict[str, Any], str]]:
    snapshot = run_program(
        "prod",
        overrides=overrides,
        secrets={**TEST_SECRETS, "cdnOriginAuth": "cdn-origin-Secret-5e8b-0123456789"},
    )
    return [
        (
            r.type,
            json.loads(json.dumps(r.manifest if r.type.startswith("kubernetes:") else r.inputs, default=str)),
            r.name,
        )
        for r in snapshot.resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    ]


@pytest.mark.parametrize("overrides", [{"cdn": CDN}, {"cdn": CDN, "target": "docker-host"}])
def test_no_violation_on_the_cdn_objects(overrides: dict[str, Any]) -> None:
    resources = _resources(**overrides)
    with PackProcess() as pack:
        pack.configure({})
        found = []
        for rtype, props, name in resources:
            found += [(name, d) for d in pack.analyze(rtype, props, name)]
        found += [("stack", d) for d in pack.analyze_stack(resources)]
    assert not [d for _, d in found if d["level"] == "mandatory"], found
    # The new objects (the origin Secret, the SecurityPolicy, the nginx container) add no finding.
    mine = [(n, d["policy"]) for n, d in found if "cdn" in n or "securitypolicy" in n or n == "nginx"]
    assert mine == []
