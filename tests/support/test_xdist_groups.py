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
        log.write(f"{os.environ['PYTEST_XDIST_WORKER']} {index}\\n")
"""

CONFTEST = """
import pytest

from tests.support.xdist_groups import apply_groups


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    apply_groups(config, items)
"""


def _run(tmp_path: Path, conftest: str, *extra: str) -> tuple[list[tuple[str, int]], str]:
    (tmp_path / "test_group.py").write_text(MODULE)
    (tmp_path / "conftest.py").write_text(conftest)
    log = tmp_path / "workers.log"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup",
         "--rootdir", str(tmp_path), "-c", "/dev/null", *extra, str(tmp_path)],
        cwd=ROOT,
        env={"GROUP_LOG": str(log), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [(worker, int(index)) for worker, index in (line.split() for line in log.read_text().splitlines())]
    return runs, result.stdout


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    runs, _ = _run(tmp_path, CONFTEST)
    workers = [worker for worker, _ in runs]
    assert len(workers) == 12 and len(set(workers)) == 1, workers


def test_a_shuffled_run_keeps_the_group_on_one_worker_and_prints_its_seed(tmp_path: Path) -> None:
    # pytest-random-order (docs/testing.md): off by default, on with --random-order-seed.
    runs, stdout = _run(tmp_path, CONFTEST, "-v", "--random-order-seed=7")  # -v: the header
    workers, order = [worker for worker, _ in runs], [index for _, index in runs]
    assert len(workers) == 12 and len(set(workers)) == 1, workers
    assert sorted(order) == list(range(12)) and order != list(range(12)), order
    again, _ = _run(tmp_path, CONFTEST, "--random-order-seed=7")
    assert [index for _, index in again][-12:] == order  # the seed replays the order
    assert "--random-order-seed=7" in stdout


def test_make_test_passes_pytest_args_to_the_suite() -> None:
    # `make test PYTEST_ARGS='--random-order'` (docs/testing.md): printed, not run (-n).
    result = subprocess.run(
        ["make", "-n", "test", "PYTEST_ARGS=--random-order --random-order-seed=4242"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "bash scripts/test.sh --random-order --random-order-seed=4242" in result.stdout, (
        result.stdout + result.stderr
    )
