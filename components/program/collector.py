"""How a run of the program uses Python's cyclic garbage collector.

A Pulumi program keeps every resource, Output and future it creates alive until the
engine has registered them all, so almost nothing it allocates becomes garbage; yet each
full collection walks all of it again. Under mocks, on a 200-workload estate, collection
took about 40 % of the run and made the time per object grow with the estate
(bench/program_cost.py); through the real engine, a `pulumi preview` of 200 workloads spends
about a quarter less program CPU with the switch (bench/collector_engine.py; the figures are
in docs/performance.md).
"""

from __future__ import annotations

import gc


def prepare_collector() -> None:
    """Called once, before the estate is built. The process is a short batch job: the
    collector is switched off for it (reference counting still frees everything that is
    not a cycle; the benchmark prints the peak memory this costs) and what the imports
    left is frozen, so nothing re-enabling collection walks it again."""
    gc.collect()
    gc.freeze()
    gc.disable()
