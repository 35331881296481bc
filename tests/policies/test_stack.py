"""Stack policies: default-deny per namespace, PDBs, token automount, platform quota."""

from __future__ import annotations

from typing import Any

import pytest
from shiksha_policies.catalog import BY_NAME

from .harness import FIXTURES, expand_stack, load

CASES = [
    (load(f)["policy"], c) for f in sorted((FIXTURES / "stack").glob("*.yaml")) for c in load(f)["cases"]
]


@pytest.mark.parametrize(("policy", "case"), CASES, ids=[f"{p}:{c['name']}" for p, c in CASES])
def test_stack_fixture(policy: str, case: dict[str, Any]) -> None:
    resources = expand_stack(case["resources"])
    results = BY_NAME[policy].evaluate_stack(resources, case.get("config"))
    by_urn = {r.urn: r.name for r in resources}
    got = sorted((by_urn.get(f.urn or ""), f.path) for _, f in results)
    want = sorted((e["resource"], e["path"]) for e in case["expect"])
    assert got == want, [f.render(label) for label, f in results]


def test_every_stack_rule_has_good_and_bad_cases() -> None:
    for name in {p for p, _ in CASES}:
        assert any(not c["expect"] for p, c in CASES if p == name)
        assert any(c["expect"] for p, c in CASES if p == name)
