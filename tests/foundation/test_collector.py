"""The program switches Python's cyclic collector off for its one-run process
(components/program/collector.py); the test harness, which runs thousands of programs in one
process, gets it back after each run."""

from __future__ import annotations

import gc
import runpy

from tests.support.program import ROOT, run_program


def test_a_program_run_has_the_collector_off_and_the_imports_frozen() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        seen["enabled"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

    snapshot = run_program("prod", program=program)
    assert snapshot.kubernetes_objects()
    assert seen["enabled"] is False
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 10_000


def test_the_harness_restores_the_collector_after_each_run() -> None:
    run_program("prod")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
