"""Issue 16's refactor (one plan, two targets) keeps every URN: the program before it
(tests/support/baseline.py, taken from git) and this one register the same URNs under
Pulumi's mocks, for the local and prod stacks and the docker-host target. A URN that moved
would need an alias naming the old one. The real engine proves the same on a stack's state
in tests/engine/test_refactor_no_op.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.baseline import STACKS, baseline_tree, registered
from tests.support.program import ROOT


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return baseline_tree(tmp_path_factory.mktemp("baseline"))


@pytest.mark.parametrize("name", sorted(STACKS))
def test_every_urn_of_the_baseline_is_still_registered_or_aliased(old_tree: Path, name: str) -> None:
    stack, overrides = STACKS[name]
    before = registered(old_tree, stack, overrides)
    after: dict[str, Any] = registered(ROOT, stack, overrides)
    aliased = {alias for aliases in after.values() for alias in aliases}
    lost = sorted(urn for urn in before if urn not in after and urn not in aliased)
    added = sorted(urn for urn in after if urn not in before)
    assert lost == [], f"{name}: URNs the refactor lost (an alias is needed): {lost[:10]}"
    assert added == [], f"{name}: URNs the refactor added: {added[:10]}"
    assert len(before) > 20
