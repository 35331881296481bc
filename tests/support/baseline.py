"""The program as it was before issue 16's refactor (commit BASELINE), for tests that prove
the refactor kept every URN: its tree is taken from git, never from a recorded fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from tests.support.program import ROOT

# main before the plan -> targets refactor (issue 16): the URNs of today's program under
# mocks keep to it (tests/foundation/test_urns_stable.py).
BASELINE = "18b53dc"
# The program whose stack a restructuring must leave untouched (tests/engine/
# test_refactor_no_op.py): main once issues 23, 24 and 26 changed what the estate renders
# (new pools, ACLs, scripts and rules change inputs on purpose, so issue 16's BASELINE no
# longer renders the same objects). A refactor moves nothing; a change of behaviour moves
# this pin forward in the same commit, saying why.
NO_OP_BASELINE = "53f817c21c"
# The stacks whose URNs must not move: both targets (docker-host is prod with target set).
STACKS: dict[str, tuple[str, dict[str, Any]]] = {
    "local": ("local", {}),
    "prod": ("prod", {}),
    "docker-host": ("prod", {"shiksha-setu:target": "docker-host"}),
}


def baseline_tree(destination: Path, commit: str = BASELINE) -> Path:
    """The tree of `commit` extracted into `destination`; skips when this clone lacks it."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    if found.returncode != 0:
        pytest.skip(f"this clone has no commit {commit} (the program before the refactor)")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=True
    ).stdout
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


_REGISTERED = """
import json, sys
from tests.support.program import run_program
snapshot = run_program(sys.argv[1], overrides=json.loads(sys.argv[2]))
print(json.dumps({r.urn: r.aliases for r in snapshot.resources}))
"""


def registered(tree: Path, stack: str, overrides: dict[str, Any]) -> dict[str, list[str]]:
    """URN -> aliases of everything the program in `tree` registers under Pulumi's mocks,
    run in its own process (the two trees share module names)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, "-c", _REGISTERED, stack, json.dumps(overrides)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1]
    return dict(json.loads(last))
