"""Cost of the policy pack per resource, measured through the engine's gRPC path, side by
side with checkov on the same documents.

Starts the pack as the engine does (``python -m pulumi.policy <engine> policies``) with
every policy enabled, sends every resource of the prod estate, then 1,000 generated
workloads, with Analyze (all resource policies, one call per resource as the engine
makes them) and AnalyzeStack (all stack policies, one call), and prints resources per
second by wall clock and per CPU-second of the pack process (the machine is shared: the
load average says how much other work inflated the wall clock), the pack's resident memory
after each of three passes (flat: no growth per resource), and checkov's documents per
second on the same objects written as YAML, with the ratio.

Analyze is driven as the Pulumi engine drives it: a grpc-go client
(tests/policies/engine_client) making one unary call per resource, one after the other
(the engine's step generator calls each analyzer's Analyze for one resource at a time,
pkg/resource/deploy/step_generator.go; pkg/resource/plugin/analyzer_plugin.go makes the
call). The same requests are also sent from Python's grpc client, whose own cost per call
(about 0.25 ms of CPU on this machine) the engine does not have; both figures are printed.

    .venv/bin/python -m bench.policy_pack [--workloads 1000] [--stack prod|none] [--checkov PATH]
        [--engine-client PATH]

engine client: PATH, else $SHIKSHA_ENGINE_CLIENT, else built with `go build` into a
temporary directory (seconds with Go's build cache warm).

checkov: PATH, else $CHECKOV, else the project's own install (scripts/checkov.sh puts
checkov==3.3.30 in $SHIKSHA_CACHE/venvs/checkov-3.3.30), else `checkov` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi.runtime.proto import analyzer_pb2  # noqa: E402

from tests.policies.harness import BASE, KINDS, merge, wrap  # noqa: E402
from tests.policies.pack_client import PackProcess, to_struct  # noqa: E402

CHECKOV_VERSION = "3.3.30"

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


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def uvarint(n: int) -> bytes:
    """n as a protobuf varint (the length before each request in the client's file)."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class EngineClient:
    """tests/policies/engine_client (grpc-go, as the engine) sending encoded requests to the
    pack, one pass per line written to it."""

    def __init__(self, binary: str, port: int, requests: list[analyzer_pb2.AnalyzeRequest]) -> None:
        self._file = tempfile.NamedTemporaryFile(prefix="policy-bench-", suffix=".bin", delete=False)  # noqa: SIM115
        with self._file as f:
            for req in requests:
                data = req.SerializeToString()
                f.write(uvarint(len(data)) + data)
        self.proc = subprocess.Popen(
            [binary, "-addr", f"127.0.0.1:{port}", "-requests", self._file.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run_pass(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("pass\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"engine client exited {self.proc.wait()}")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        Path(self._file.name).unlink(missing_ok=True)


def engine_client_binary(given: str | None, build_dir: str) -> str:
    """The engine-like client: given, $SHIKSHA_ENGINE_CLIENT, else built now."""
    for candidate in (given, os.environ.get("SHIKSHA_ENGINE_CLIENT")):
        if candidate and Path(candidate).is_file():
            return candidate
    out = str(Path(build_dir) / "engine-client")
    if shutil.which("go") is None:
        raise SystemExit("the engine-like client needs Go to build (or --engine-client PATH to a built one)")
    subprocess.run(
        ["go", "build", "-o", out, "."], cwd=ROOT / "tests" / "policies" / "engine_client", check=True
    )
    return out


def measure(
    pack: PackProcess, resources: list[Resource], label: str, client_binary: str, passes: int = 3
) -> dict[str, Any]:
    # Requests are built before the clock starts: the engine hands the analyzer protobuf.
    requests = [
        analyzer_pb2.AnalyzeRequest(
            type=t, properties=to_struct(p), urn=f"urn:pulumi:bench::b::{t}::{n}", name=n
        )
        for t, p, n in resources
    ]
    stack_request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(type=r.type, properties=r.properties, urn=r.urn, name=r.name)
            for r in requests
        ]
    )
    pid = pack.proc.pid
    rss = [round(rss_mib(pid), 1)]
    best: dict[str, Any] = {}
    engine = EngineClient(client_binary, pack.port, requests)
    try:
        for _ in range(passes):
            # As the engine: grpc-go, one call at a time.
            cpu0 = cpu_seconds(pid)
            go = engine.run_pass()
            wall, cpu = go["wall_s"], cpu_seconds(pid) - cpu0
            # The same requests from Python's grpc client (its own cost per call included).
            t0, diagnostics = time.perf_counter(), 0
            for req in requests:
                diagnostics += len(pack.stub.Analyze(req, timeout=60).diagnostics)
            py_wall = time.perf_counter() - t0
            cpu1, s = cpu_seconds(pid), time.perf_counter()
            stack_diags = len(pack.stub.AnalyzeStack(stack_request, timeout=600).diagnostics)
            stack_wall, stack_cpu = time.perf_counter() - s, cpu_seconds(pid) - cpu1
            rss.append(round(rss_mib(pid), 1))
            if go["diagnostics"] != diagnostics:
                raise RuntimeError(f"engine client saw {go['diagnostics']} diagnostics, Python {diagnostics}")
            fig = {
                "set": label,
                "resources": len(resources),
                "analyze_per_s": round(len(resources) / wall),
                "analyze_per_pack_cpu_s": round(len(resources) / cpu) if cpu else None,
                "analyze_ms_p50": go["p50_ms"],
                "analyze_ms_p95": go["p95_ms"],
                "analyze_python_client_per_s": round(len(resources) / py_wall),
                "analyze_stack_s": round(stack_wall, 3),
                "analyze_stack_per_s": round(len(resources) / stack_wall),
                "analyze_stack_per_pack_cpu_s": round(len(resources) / stack_cpu) if stack_cpu else None,
                "resource_diagnostics": diagnostics,
                "stack_diagnostics": stack_diags,
            }
            if not best or fig["analyze_per_s"] > best["analyze_per_s"]:
                best = fig
    finally:
        engine.close()
    best["pack_rss_mib_after_each_pass"] = rss
    return best


def find_checkov(given: str | None) -> str | None:
    cache = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu"))
    for candidate in (
        given,
        os.environ.get("CHECKOV"),
        str(cache / "venvs" / f"checkov-{CHECKOV_VERSION}" / "bin" / "checkov"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("checkov")


def run_checkov(checkov: str, resources: list[Resource]) -> dict[str, Any]:
    """checkov's Kubernetes framework over the same objects, one YAML file per object."""
    with tempfile.TemporaryDirectory(prefix="policy-bench-") as d:
        for i, (_, props, _) in enumerate(resources):
            Path(d, f"r{i:05d}.yaml").write_text(yaml.safe_dump(props))
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        t0 = time.perf_counter()
        r = subprocess.run(
            [
                checkov,
                "--framework",
                "kubernetes",
                "-d",
                d,
                "--skip-download",
                "--quiet",
                "--compact",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - t0
    if r.returncode not in (0, 1):  # 1: checks failed, which is expected
        raise RuntimeError(f"checkov exited {r.returncode}: {r.stderr[-2000:]}")
    report = json.loads(r.stdout)
    summary = (report[0] if isinstance(report, list) else report)["summary"]
    return {
        "documents": len(resources),
        "seconds": round(wall, 2),
        "per_s": round(len(resources) / wall, 1),
        "failed_checks": summary.get("failed"),
        "version": CHECKOV_VERSION,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", type=int, default=1000)
    ap.add_argument("--stack", default="prod", help="estate to measure too, or 'none'")
    ap.add_argument("--checkov", default=None, help="path to checkov (see the module docstring)")
    ap.add_argument("--passes", type=int, default=3, help="passes over each set (best is printed)")
    ap.add_argument("--engine-client", default=None, help="a built tests/policies/engine_client")
    args = ap.parse_args()
    figures = []
    build_dir = tempfile.TemporaryDirectory(prefix="policy-bench-")
    client = engine_client_binary(args.engine_client, build_dir.name)
    t = time.perf_counter()
    with PackProcess() as pack:
        startup = time.perf_counter() - t
        info = pack.info()
        pack.configure({})  # every policy at its default level: all enabled
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: pack started and answered in "
            f"{startup:.2f} s; {len(info.policies)} policies, all enabled; {os.cpu_count()} CPUs, "
            f"load average {load}",
            flush=True,
        )
        estate: list[Resource] = []
        if args.stack != "none":
            try:
                estate = prod_estate(args.stack)
            except Exception as exc:
                print(f"{args.stack} estate unavailable: {exc}", flush=True)
        if estate:
            figures.append(measure(pack, estate, f"{args.stack} estate", client, args.passes))
        workloads = generated(args.workloads)
        figures.append(measure(pack, workloads, f"{args.workloads} generated workloads", client, args.passes))
    build_dir.cleanup()
    for f in figures:
        print(
            f"{f['set']}: {f['resources']} resources; Analyze (engine's grpc-go client) "
            f"{f['analyze_per_s']} resources/s ({f['analyze_per_pack_cpu_s']} per CPU-second of the pack; "
            f"p50 {f['analyze_ms_p50']} ms, p95 {f['analyze_ms_p95']} ms); "
            f"Analyze from Python's grpc client {f['analyze_python_client_per_s']} resources/s; "
            f"AnalyzeStack {f['analyze_stack_s']} s = {f['analyze_stack_per_s']} resources/s "
            f"({f['analyze_stack_per_pack_cpu_s'] or 'under a clock tick of CPU: no'} per pack CPU-s); "
            f"pack RSS after each pass {f['pack_rss_mib_after_each_pass']} MiB; "
            f"diagnostics {f['resource_diagnostics']} + {f['stack_diagnostics']}"
        )
    checkov = find_checkov(args.checkov)
    if checkov is None:
        print(f"checkov not found (install checkov=={CHECKOV_VERSION}, see --help): no ratio", flush=True)
    else:
        c = run_checkov(checkov, workloads)
        pack_rate = figures[-1]["analyze_per_s"]
        print(
            f"checkov {c['version']} on the same {c['documents']} documents: {c['seconds']} s = "
            f"{c['per_s']} documents/s; the pack (Analyze) is {pack_rate / c['per_s']:.1f}x checkov"
        )
        figures.append({"checkov": c, "ratio": round(pack_rate / c["per_s"], 1)})
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
