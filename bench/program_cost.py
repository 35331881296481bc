"""What the component layer costs: the program under mocks vs the same objects registered raw.

For the prod stack and for generated estates of 10, 50 and 200 workloads, this runs the
real program under Pulumi's mocks, then registers exactly the Kubernetes objects it
produced directly with the provider's resource classes (no components, no config model,
the same dependency graph and secret inputs), side by side in one process, and prints
per estate: CPU milliseconds per object on each side and their ratio (medians of forked
runs), Python function calls per object (deterministic) and peak memory.

    .venv/bin/python -m bench.program_cost [--repeat 9] [--sizes 10,50,200]
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import pstats
import re
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.defaults import PLATFORM_WORKLOADS
from components.program.collector import prepare_collector
from tests.support.program import Recorded, Snapshot, run_program

P = "shiksha-setu"
FORK = multiprocessing.get_context("fork")


def generated_workloads(count: int) -> dict[str, Any]:
    """`count` stateless workloads shaped like the API, and the platform's own switched off."""
    template = {k: v for k, v in PLATFORM_WORKLOADS["frontend"].items()}
    workloads: dict[str, Any] = {name: {"enabled": False} for name in PLATFORM_WORKLOADS}
    for index in range(count):
        workloads[f"w{index:03d}"] = {**template, "component": f"generated{index % 7}"}
    return workloads


def generated_estate(count: int) -> dict[str, Any]:
    """Stack config of `count` generated workloads; the edge serves the first (a route may
    not name a disabled workload), and the namespace quota holds them all at full scale."""
    quota = {
        "requestsCpu": str(32 + count),
        "limitsCpu": str(32 + count),
        "requestsMemory": f"{64 + count}Gi",
        "limitsMemory": f"{64 + count}Gi",
        "pods": 50 + 3 * count,
        "services": 20 + count,
    }
    return {
        f"{P}:workloads": generated_workloads(count),
        f"{P}:namespace": {"quota": quota},
        f"{P}:edge": {
            "routes": {"/api": None, "/ws": None, "/": {"backend": "w000"}},
            "mlPathsRemove": ["/api/v2/ml", "/api/v2/chat"],
            "streamPathsRemove": ["/api/v2/chat/stream"],
            "websocketPathsRemove": ["/ws"],
        },
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _resource_class(api_version: str, kind: str) -> Callable[..., Any]:
    group, _, version = api_version.rpartition("/")
    module_name = {"": "core", "networking.k8s.io": "networking", "rbac.authorization.k8s.io": "rbac"}.get(
        group, group.split(".")[0]
    )
    module = getattr(getattr(k8s, module_name, None), version, None)
    cls = getattr(module, kind, None) if module is not None else None
    if cls is None:
        return lambda name, **kw: k8s.apiextensions.CustomResource(
            name, api_version=api_version, kind=kind, **kw
        )
    return cls


def raw_program(recorded: list[Recorded]) -> Callable[[], None]:
    """The same objects as a hand-written program would register them: plain values, but
    the same ordering (each object waits for the objects it waited for under the
    components) and the same secret inputs, or the baseline would be a program that
    creates workloads before their namespace and stores passwords in plain state."""
    index_of = {r.urn: index for index, r in enumerate(recorded)}

    def program() -> None:
        provider = k8s.Provider("kubernetes")
        created: list[Any] = []
        for index, recorded_object in enumerate(recorded):
            manifest = recorded_object.manifest
            cls = _resource_class(manifest["apiVersion"], manifest["kind"])
            kwargs = {
                _snake(k): pulumi.Output.secret(v) if k in recorded_object.secret_paths else v
                for k, v in manifest.items()
                if k not in ("apiVersion", "kind")
            }
            waits_for = [created[index_of[urn]] for urn in recorded_object.dependencies if urn in index_of]
            opts = pulumi.ResourceOptions(provider=provider, depends_on=waits_for)
            created.append(cls(f"{manifest['kind'].lower()}-{index}", opts=opts, **kwargs))

    return program


@dataclass
class Figures:
    cpu_seconds: float
    objects: int
    peak_mib: float
    calls: int = 0


def _measure(run: Callable[[], Snapshot], count_calls: bool) -> Figures:
    prepare_collector()  # as __main__.py does for a real run, on both sides alike
    profile = cProfile.Profile() if count_calls else None
    # CPU time of this process: what the program costs, not what else the machine did.
    start = time.process_time()
    if profile is not None:
        profile.enable()
    snapshot = run()
    if profile is not None:
        profile.disable()
    elapsed = time.process_time() - start
    return Figures(
        elapsed,
        len(snapshot.kubernetes_objects()),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        pstats.Stats(profile).total_calls if profile is not None else 0,  # type: ignore[attr-defined]
    )


def _run_in_child(run: Callable[[], Snapshot], count_calls: bool, conn: Connection) -> None:
    conn.send(_measure(run, count_calls))
    conn.close()


def in_child(run: Callable[[], Snapshot], count_calls: bool = False) -> Figures:
    """One run in a forked child: every run starts from the same warm process, and no run
    pays for the garbage (or the Pulumi runtime state) an earlier run left behind."""
    parent, child = FORK.Pipe(duplex=False)
    process = FORK.Process(target=_run_in_child, args=(run, count_calls, child))
    process.start()
    figures: Figures = parent.recv()
    process.join()
    return figures


def side_by_side(
    first: Callable[[], Snapshot], second: Callable[[], Snapshot], repeat: int
) -> tuple[Figures, Figures, float]:
    """Runs the two alternately, `repeat` pairs, and returns each side's median run and the
    median of the pairs' ratios: the two runs of a pair are back to back, so load from
    elsewhere on the machine hits both alike, and a median ignores the odd lucky or
    unlucky run that a best-of or a mean would keep. Python function calls are counted in
    one more (profiled, so untimed) run each: a figure no load can move."""
    samples: list[list[Figures]] = [[], []]
    for _ in range(repeat):
        for index, run in enumerate((first, second)):
            samples[index].append(in_child(run))
    ratios = [a.cpu_seconds / b.cpu_seconds for a, b in zip(*samples, strict=True)]
    results = []
    for index, run in enumerate((first, second)):
        runs = samples[index]
        median = sorted(runs, key=lambda figures: figures.cpu_seconds)[len(runs) // 2]
        median.peak_mib = max(figures.peak_mib for figures in runs)
        median.calls = in_child(run, count_calls=True).calls
        results.append(median)
    return results[0], results[1], statistics.median(ratios)


def _row(values: list[Any], columns: list[tuple[str, int]]) -> str:
    cells = zip(values, (width for _, width in columns), strict=True)
    return "".join(f"{v:>{w}}" if i else f"{v:<{w}}" for i, (v, w) in enumerate(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9, help="pairs of runs per estate")
    parser.add_argument("--sizes", default="10,50,200")
    args = parser.parse_args()

    cases: list[tuple[str, dict[str, Any]]] = [("prod estate", {})]
    cases += [(f"{n} workloads", generated_estate(n)) for n in map(int, args.sizes.split(","))]
    # Imports and first-use caches are paid once per process, not per resource.
    run_program("prod")
    columns = [
        ("estate", 15), ("objects", 8), ("comp ms", 9), ("raw ms", 8), ("ms/obj comp", 12),
        ("ms/obj raw", 11), ("ratio", 6), ("calls/obj comp", 15), ("calls/obj raw", 14),
        ("calls ratio", 12), ("peak MiB comp", 14), ("peak MiB raw", 13),
    ]  # fmt: skip
    print(_row([title for title, _ in columns], columns))
    for label, overrides in cases:
        objects = run_program("prod", overrides=overrides).kubernetes_objects()
        comp, raw, ratio = side_by_side(
            partial(run_program, "prod", overrides=overrides),
            partial(run_program, "prod", program=raw_program(objects)),
            args.repeat,
        )
        count = len(objects)
        assert comp.objects == raw.objects == count
        values = [
            label, count, f"{comp.cpu_seconds * 1000:.0f}", f"{raw.cpu_seconds * 1000:.0f}",
            f"{comp.cpu_seconds * 1000 / count:.2f}", f"{raw.cpu_seconds * 1000 / count:.2f}",
            f"{ratio:.2f}", f"{comp.calls / count:.0f}",
            f"{raw.calls / count:.0f}", f"{comp.calls / raw.calls:.2f}", f"{comp.peak_mib:.0f}",
            f"{raw.peak_mib:.0f}",
        ]  # fmt: skip
        print(_row(values, columns))


if __name__ == "__main__":
    main()
