"""Cost of the policy pack per resource, measured through the engine's gRPC path.

Starts the pack as the engine does (``python -m pulumi.policy <engine> policies``), sends
every resource of the prod estate, then 1,000 generated workloads, with Analyze (all
resource policies) and AnalyzeStack (all stack policies), and prints the figures.

    .venv/bin/python -m bench.policy_pack [--workloads 1000] [--stack prod]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.policies.harness import BASE, KINDS, merge, wrap  # noqa: E402
from tests.policies.pack_client import PackProcess  # noqa: E402

Resource = tuple[str, dict[str, Any], str]


def prod_estate(stack: str) -> list[Resource]:
    from tests.support import program

    snap = program.run_program(stack)
    out = []
    for r in snap.resources:
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        inputs = {k: v for k, v in r.inputs.items() if not k.startswith("__")}
        out.append((r.type, json.loads(json.dumps(inputs, default=str)), r.name))
    return out


def generated(n: int) -> list[Resource]:
    """n workloads over every pod-bearing kind; one in five carries a violation so the
    pack's reporting path is part of the cost, as it would be in a real preview."""
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        pod = merge(
            BASE["pod"],
            {
                "containers": [merge(BASE["pod"]["containers"][0], {"name": f"app-{i}"})],
                "initContainers": [merge(BASE["container"], {"name": f"init-{i}"})],
            },
        )
        if i % 5 == 0:
            pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
        rtype, props = wrap(kind, pod, name=f"w{i}", namespace=f"team-{i % 10}")
        out.append((rtype, props, f"w{i}"))
    return out


def measure(pack: PackProcess, resources: list[Resource], label: str) -> dict[str, Any]:
    per: list[float] = []
    violations = 0
    t0 = time.perf_counter()
    for rtype, props, name in resources:
        s = time.perf_counter()
        violations += len(pack.analyze(rtype, props, name))
        per.append(time.perf_counter() - s)
    analyze_total = time.perf_counter() - t0
    s = time.perf_counter()
    stack_diags = pack.analyze_stack(resources)
    stack_total = time.perf_counter() - s
    per_ms = sorted(x * 1000 for x in per)
    fig = {
        "set": label,
        "resources": len(resources),
        "analyze_total_s": round(analyze_total, 3),
        "analyze_ms_per_resource_mean": round(statistics.fmean(per_ms), 3),
        "analyze_ms_per_resource_p50": round(per_ms[len(per_ms) // 2], 3),
        "analyze_ms_per_resource_p95": round(per_ms[int(len(per_ms) * 0.95) - 1], 3),
        "analyze_stack_s": round(stack_total, 3),
        "analyze_stack_ms_per_resource": round(stack_total * 1000 / len(resources), 3),
        "resource_diagnostics": violations,
        "stack_diagnostics": len(stack_diags),
    }
    return fig


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", type=int, default=1000)
    ap.add_argument("--stack", default="prod")
    args = ap.parse_args()
    figures = []
    t = time.perf_counter()
    with PackProcess() as pack:
        startup = time.perf_counter() - t
        info = pack.info()
        pack.configure({})
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        # Other work on the machine inflates every figure; the load average says how much.
        print(
            f"pack started and answered in {startup:.2f} s; {len(info.policies)} policies; "
            f"{os.cpu_count()} CPUs, load average {load}",
            flush=True,
        )
        try:
            estate = prod_estate(args.stack)
        except Exception as exc:
            print(f"{args.stack} estate unavailable: {exc}", flush=True)
            estate = []
        if estate:
            figures.append(measure(pack, estate, f"{args.stack} estate"))
        figures.append(measure(pack, generated(args.workloads), f"{args.workloads} generated workloads"))
    for f in figures:
        print(
            f"{f['set']}: {f['resources']} resources; Analyze {f['analyze_total_s']} s "
            f"({f['analyze_ms_per_resource_mean']} ms/resource mean, p50 {f['analyze_ms_per_resource_p50']}, "
            f"p95 {f['analyze_ms_per_resource_p95']}); AnalyzeStack {f['analyze_stack_s']} s "
            f"({f['analyze_stack_ms_per_resource']} ms/resource); diagnostics {f['resource_diagnostics']} + "
            f"{f['stack_diagnostics']}"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
