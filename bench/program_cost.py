"""What the component layer costs: the program under mocks vs the same objects registered raw.

For the prod stack and for generated estates of 10, 50 and 200 workloads, this runs the
real program under Pulumi's mocks, then registers exactly the Kubernetes objects it
produced directly with the provider's resource classes (no components, no config model),
side by side in one process, and prints milliseconds per resource and the ratio.

    .venv/bin/python -m bench.program_cost [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import re
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.defaults import PLATFORM_WORKLOADS
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
        for index, resource in enumerate(recorded):
            manifest = resource.manifest
            cls = _resource_class(manifest["apiVersion"], manifest["kind"])
            kwargs = {
                _snake(k): pulumi.Output.secret(v) if k in resource.secret_paths else v
                for k, v in manifest.items()
                if k not in ("apiVersion", "kind")
            }
            waits_for = [created[index_of[urn]] for urn in resource.dependencies if urn in index_of]
            opts = pulumi.ResourceOptions(provider=provider, depends_on=waits_for)
            created.append(cls(f"{manifest['kind'].lower()}-{index}", opts=opts, **kwargs))

    return program


def _run_in_child(run: Callable[[], Snapshot], conn: Connection) -> None:
    gc.collect()
    # CPU time of this process: what the program costs, not what else the machine did.
    start = time.process_time()
    snapshot = run()
    conn.send((time.process_time() - start, len(snapshot.kubernetes_objects())))
    conn.close()


def timed(run: Callable[[], Snapshot]) -> tuple[float, int]:
    """One run in a forked child: every run starts from the same warm process, and no run
    pays for the garbage (or the Pulumi runtime state) an earlier run left behind."""
    parent, child = FORK.Pipe(duplex=False)
    process = FORK.Process(target=_run_in_child, args=(run, child))
    process.start()
    elapsed, count = parent.recv()
    process.join()
    return elapsed, count


def timed_pair(
    first: Callable[[], Snapshot], second: Callable[[], Snapshot], repeat: int
) -> tuple[float, float, int, int]:
    """Alternates the two and keeps each one's fastest, so load from elsewhere on the
    machine hits both sides alike and a stray pause does not count."""
    best = [float("inf"), float("inf")]
    counts = [0, 0]
    for _ in range(repeat):
        for index, run in enumerate((first, second)):
            elapsed, counts[index] = timed(run)
            best[index] = min(best[index], elapsed)
    return best[0], best[1], counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="10,50,200")
    args = parser.parse_args()

    cases: list[tuple[str, dict[str, Any]]] = [("prod estate", {})]
    cases += [
        (f"{n} workloads", {f"{P}:workloads": generated_workloads(n)})
        for n in map(int, args.sizes.split(","))
    ]
    # Imports and first-use caches are paid once per process, not per resource.
    run_program("prod")
    print(
        f"{'estate':<16}{'objects':>8}{'components ms':>15}{'raw ms':>9}{'ms/obj comp':>13}"
        f"{'ms/obj raw':>12}{'ratio':>7}"
    )
    for label, overrides in cases:
        objects = run_program("prod", overrides=overrides).kubernetes_objects()
        component_time, raw_time, component_count, raw_count = timed_pair(
            partial(run_program, "prod", overrides=overrides),
            partial(run_program, "prod", program=raw_program(objects)),
            args.repeat,
        )
        assert component_count == raw_count == len(objects)
        count = len(objects)
        print(
            f"{label:<16}{count:>8}{component_time * 1000:>15.0f}{raw_time * 1000:>9.0f}"
            f"{component_time * 1000 / count:>13.2f}{raw_time * 1000 / count:>12.2f}"
            f"{component_time / raw_time:>7.2f}"
        )


if __name__ == "__main__":
    main()
