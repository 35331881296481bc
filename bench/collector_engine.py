"""Does switching the cyclic collector off help a real `pulumi preview`?

`__main__.py` calls `components/program/collector.py`'s `prepare_collector()` first. This runs
`pulumi preview` through the real engine (the warm CLI, language host and Kubernetes
provider of SHIKSHA_CACHE, a file backend, the local stack's passphrase and render
directory) on two copies of the project that differ only in that call: "on" is the
project as it is, "off" has the call removed. Estates: the local stack (the prod model's
defaults, rendering to a directory) and a generated one of 200 workloads
(bench/program_cost.py's generator). The two copies run alternately, pair after pair, so
load from elsewhere hits both alike; each figure is the median over the pairs, and the
ratio is the median of the pairs' ratios (off / on: above 1 means the switch helps).

Figures per run: wall time of `pulumi preview`; CPU seconds and peak RSS of the program's
Python process (the language host's python, read by a footer the copies add to
`__main__.py`: its own getrusage at exit); CPU of the whole process tree (CLI, language
host, program, provider); the collections the program's collector ran (with the switch on,
only those of the imports before the call).

    .venv/bin/python -m bench.collector_engine [--repeat 3] [--sizes 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.program_cost import generated_estate
from tests.engine.conftest import copy_project, engine_env

CALL = "prepare_collector()\n"
# Appended to __main__.py in both copies: the program's own CPU and peak memory at exit
# (the language host ends the program with sys.exit, after every resource is registered).
FOOTER = """
import atexit as _bench_atexit, gc as _bench_gc, json as _bench_json, os as _bench_os
import resource as _bench_resource


def _bench_report() -> None:
    usage = _bench_resource.getrusage(_bench_resource.RUSAGE_SELF)
    with open(_bench_os.environ["BENCH_RUSAGE_FILE"], "w") as out:
        _bench_json.dump({"cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss,
                          "collections": sum(s["collections"] for s in _bench_gc.get_stats())}, out)


_bench_atexit.register(_bench_report)
"""


@dataclass
class Run:
    wall: float
    program_cpu: float
    program_mib: float
    tree_cpu: float
    collections: int


def _project(root: Path, collector: bool, stacks: dict[str, dict[str, Any]]) -> tuple[Path, dict[str, str]]:
    directory = copy_project(root / ("on" if collector else "off"))
    main = directory / "__main__.py"
    source = main.read_text()
    assert source.count(CALL) == 1, "__main__.py no longer calls prepare_collector() once"
    if not collector:
        source = source.replace(CALL, "")
    main.write_text(source + FOOTER)
    local = yaml.safe_load((directory / "Pulumi.local.yaml").read_text())
    state = root / f"state-{'on' if collector else 'off'}"
    state.mkdir()
    env = engine_env(state)
    for stack, overrides in stacks.items():
        data = {**local, "config": {**local["config"], **overrides}}
        (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        _pulumi(directory, env, "stack", "init", stack)
    return directory, env


def _pulumi(directory: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = ["pulumi", *args, "--non-interactive"]
    result = subprocess.run(argv, check=False, cwd=directory, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout[-3000:] + result.stderr
        raise SystemExit(f"pulumi {' '.join(args)} exited {result.returncode}:\n{output}")
    return result


def preview(directory: Path, env: dict[str, str], stack: str) -> Run:
    report = directory / "rusage.json"
    report.unlink(missing_ok=True)
    env = {**env, "BENCH_RUSAGE_FILE": str(report)}
    start = time.perf_counter()
    process = subprocess.Popen(
        ["pulumi", "preview", "--stack", stack, "--non-interactive"],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    # wait4: the CLI's own usage and that of every descendant it waited for.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"pulumi preview of {stack} exited {process.returncode}:\n{output[-3000:]}")
    program = json.loads(report.read_text())
    return Run(
        wall,
        program["cpu"],
        program["rss_kib"] / 1024,
        usage.ru_utime + usage.ru_stime,
        program["collections"],
    )


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def _ratio(on: list[Run], off: list[Run], field: str) -> float:
    return statistics.median(getattr(b, field) / getattr(a, field) for a, b in zip(on, off, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="pairs of previews per estate")
    parser.add_argument("--sizes", default="200", help="generated estates, workloads each")
    args = parser.parse_args()

    sizes = [int(size) for size in args.sizes.split(",")]
    generated = {f"w{count}": generated_estate(count) for count in sizes}
    estates: dict[str, dict[str, Any]] = {"local": {}, **generated}
    labels = {"local": "prod-shaped (local)", **{f"w{count}": f"{count} workloads" for count in sizes}}

    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="collector-engine-") as tmp:
        root = Path(tmp)
        projects = {on: _project(root, on, generated) for on in (True, False)}
        for directory, env in projects.values():
            _pulumi(directory, env, "stack", "init", "local")
        columns = (
            "estate               switch  wall s  program cpu s  program peak MiB  tree cpu s  collections"
        )
        rows = []
        ratios = []
        for directory, env in projects.values():  # warm-up, once: bytecode caches, plugin start
            preview(directory, env, "local")
        for stack in estates:
            samples: dict[bool, list[Run]] = {True: [], False: []}
            for index in range(args.repeat):
                order = (True, False) if index % 2 == 0 else (False, True)
                for on in order:
                    samples[on].append(preview(*projects[on], stack))
            for on in (True, False):
                runs = samples[on]
                rows.append(
                    f"{labels[stack]:<21}{'on' if on else 'off':<8}{_median(runs, 'wall'):>6.2f}"
                    f"{_median(runs, 'program_cpu'):>15.2f}{max(r.program_mib for r in runs):>18.0f}"
                    f"{_median(runs, 'tree_cpu'):>12.2f}{_median(runs, 'collections'):>13.0f}"
                )
            ratios.append(
                f"{labels[stack]:<21}wall {_ratio(samples[True], samples[False], 'wall'):.3f}"
                f"  program cpu {_ratio(samples[True], samples[False], 'program_cpu'):.3f}"
                f"  tree cpu {_ratio(samples[True], samples[False], 'tree_cpu'):.3f}"
            )
        print(columns)
        print("\n".join(rows))
        print(f"off / on, median of {args.repeat} alternating pairs (above 1: the switch helps)")
        print("\n".join(ratios))
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
