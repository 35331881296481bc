"""`--dist loadgroup` keeps a group on one worker (tests/support/xdist_groups.py): a real
pytest run with two workers over a generated module, as scripts/test.sh runs the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.program import ROOT

MODULE = """
import os
import pytest

pytestmark = [pytest.mark.xdist_group("one-worker")]


@pytest.mark.parametrize("index", range(12))
def test_in_the_group(index: int) -> None:
    with open(os.environ["GROUP_LOG"], "a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""

CONFTEST = """
import pytest

from tests.support.xdist_groups import apply_groups


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    apply_groups(config, items)
"""


def _workers(tmp_path: Path, conftest: str) -> list[str]:
    (tmp_path / "test_group.py").write_text(MODULE)
    (tmp_path / "conftest.py").write_text(conftest)
    log = tmp_path / "workers.log"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup",
         "--rootdir", str(tmp_path), "-c", "/dev/null", str(tmp_path)],
        cwd=ROOT,
        env={"GROUP_LOG": str(log), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return log.read_text().split()


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    workers = _workers(tmp_path, CONFTEST)
    assert len(workers) == 12 and len(set(workers)) == 1, workers
