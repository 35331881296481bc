"""A restructuring changes nothing on an existing stack: the program before it (commit
NO_OP_BASELINE, from git; tests/support/baseline.py says when that pin moves) runs `pulumi
up` on a fresh file-backend local stack, then this program previews and ups the same state
with --expect-no-changes, and the engine reports no create, delete or replace (no URN moved,
no input changed).

The docker-host target's URNs are compared under mocks (tests/foundation/test_urns_stable.py):
the engine cache holds no Docker provider."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.baseline import NO_OP_BASELINE, baseline_tree

from .conftest import Project, steps_by_op

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("engine")]


def test_up_with_the_refactored_program_is_a_no_op_on_the_old_programs_stack(
    tmp_path: Path, make_project: Callable[..., Project]
) -> None:
    old_dir = baseline_tree(tmp_path / "baseline", NO_OP_BASELINE)
    (old_dir / ".venv").symlink_to(os.environ.get("SHIKSHA_ENGINE_VENV", Path(__file__).parents[2] / ".venv"))
    new = make_project()
    # One state backend: the old program creates the stack, the new one finds it there.
    old = Project(old_dir, new.env)
    first = old.stack_script("local", "up")
    assert first.returncode == 0, f"{NO_OP_BASELINE}: {first.output[-6000:]}"
    created = old.pulumi("stack", "export").json()["deployment"]["resources"]
    assert len(created) > 50

    new.select("local")
    preview = new.pulumi("preview", "--json", "--expect-no-changes", "--policy-pack", "policies", check=False)
    ops = steps_by_op(preview.json())
    changed = {op: urns for op, urns in ops.items() if op != "same"}
    assert changed == {}, f"the refactored program changes the old stack: {changed}"
    assert preview.returncode == 0, preview.output[-6000:]
    # The steps list only what changes; the summary counts every resource the program has.
    assert preview.json()["changeSummary"] == {"same": len(created)}

    up = new.pulumi("up", "--yes", "--expect-no-changes", "--policy-pack", "policies", check=False)
    assert up.returncode == 0, up.output[-6000:]
    after = new.pulumi("stack", "export").json()["deployment"]["resources"]
    assert sorted(r["urn"] for r in after) == sorted(r["urn"] for r in created)
