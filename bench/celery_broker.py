"""Celery's round trip (`add.delay(...).get()`) through the broker the estate renders, as the
estate's ACL user `app` and as an unrestricted user, side by side in one run.

    sudo .venv/bin/python -m bench.celery_broker [--tasks 1000] [--batch 10]

Two redis-servers from the same rendered broker files (kubernetes target, production
settings), each with one more user on its command line that may run everything on every key
(`open`): one serves the estate's `app` user, the other `open`, so each server's INFO
commandstats times one user's commands (the ACL is checked there). Two Celery 5.7 workers
(the estate's worker command line with the test app, one pool process each) consume one
queue each. The producer alternates batches of `--batch` round trips between the two (A B B
A ...), so machine load falls on both alike, and prints p50/p95 of each, the servers' time
per command, and the ratios. Needs root (a private mount namespace
for the rendered files, as tests/datastores) and the Celery clients' virtualenv
(`make test-tools`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.datastores.servers import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPEN_PASSWORD = "bench-open-unrestricted"  # noqa: S105 (a throwaway user of a throwaway server)
QUEUES = {"acl": "bench-acl", "open": "bench-open"}


def measure(urls: dict[str, str], tasks: int, batch: int) -> dict[str, list[float]]:
    """In the clients' virtualenv: alternating batches of round trips, seconds each."""
    from tests.clients.celery_app import make_app

    apps = {side: make_app(url, url) for side, url in urls.items()}
    adds = {side: app.tasks["tests.add"] for side, app in apps.items()}
    for side, add in adds.items():  # warm-up: connections, script loads, pool start
        for i in range(20):
            add.apply_async((i, i), queue=QUEUES[side]).get(timeout=60)
    times: dict[str, list[float]] = {side: [] for side in urls}
    order = list(adds)
    while min(len(t) for t in times.values()) < tasks:
        order.reverse()  # A B B A A B ...: neither side always runs first
        for side in order:
            add = adds[side]
            for i in range(min(batch, tasks - len(times[side]))):
                start = time.perf_counter()
                value = add.apply_async((i, 1), queue=QUEUES[side]).get(timeout=60)
                times[side].append(time.perf_counter() - start)
                assert value == i + 1, value
    return times


def server_usec_per_call(server: Redis) -> float:
    """The server's own time per command over the run (INFO commandstats, every command)."""
    stats = server.client("observer", server.observer_password).info("commandstats")
    calls = sum(int(v["calls"]) for v in stats.values())
    return sum(int(v["usec"]) for v in stats.values()) / max(calls, 1)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def orchestrate(tasks: int, batch: int) -> int:
    if os.geteuid() != 0:
        print("bench/celery_broker.py needs root (a private mount namespace for the rendered files)")
        return 1
    from tests.clients.harness import celery_args, pointed_at
    from tests.clients.venv import clients_bin
    from tests.datastores.conftest import REDIS_DATA
    from tests.datastores.rendered import rendered_all
    from tests.datastores.servers import redis, stop

    try:
        bin_dir = clients_bin()
    except BaseException as missing:  # pytest's skip outside pytest
        print(f"the Celery clients' virtualenv is missing ({missing}); run make test-tools")
        return 1
    overrides = {"shiksha-setu:workloads": {"redis": {"storage": {"mountPath": REDIS_DATA}}}}
    estate = rendered_all("kubernetes", ("worker", "redis"), overrides)
    broker = estate["redis"]
    open_user = ["--user", "open", "on", f">{OPEN_PASSWORD}", "~*", "&*", "+@all"]
    with tempfile.TemporaryDirectory(prefix="celery-bench-") as tmp, ExitStack() as stack:
        # Two brokers from the same files, each with both users: one serves `app`, one `open`,
        # so each server's own INFO commandstats times one user's commands.
        servers = {
            side: stack.enter_context(
                redis(
                    broker.files,
                    broker.command,
                    REDIS_DATA,
                    Path(tmp) / f"redis-{side}.log",
                    extra_args=open_user,
                )
            )
            for side in QUEUES
        }
        os.chmod(tmp, 0o755)  # noqa: S103 (the workers' HOME; it holds no secret)
        urls = {
            "acl": pointed_at(estate["worker"].env["CELERY_BROKER_URL"], "redis", servers["acl"].port),
            "open": f"redis://open:{OPEN_PASSWORD}@127.0.0.1:{servers['open'].port}/0",
        }
        workers = []
        for side, url in urls.items():
            env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": tmp}
            env |= {"CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url}
            args = celery_args(estate["worker"], concurrency="1", loglevel="WARNING")
            log = (Path(tmp) / f"worker-{side}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [str(bin_dir / "celery"), *args, "-Q", QUEUES[side], f"--hostname={side}@bench"],
                    cwd=tmp,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            started = time.monotonic()
            result = subprocess.run(
                [
                    *(str(bin_dir / "python"), "-m", "bench.celery_broker", "--measure", json.dumps(urls)),
                    *(f"--tasks={tasks}", f"--batch={batch}"),
                ],
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": tmp},
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return result.returncode
            times = json.loads(result.stdout)
            wall = time.monotonic() - started
            server_time = {side: server_usec_per_call(server) for side, server in servers.items()}
        finally:
            for worker in workers:
                stop(worker)
    print(
        f"Celery 5.7 round trip add.apply_async(...).get(), {tasks} tasks per user in alternating "
        f"batches of {batch}, a broker per user, one prefork process per worker ({wall:.0f} s)"
    )
    print(f"{'user':<28} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'server us/command':>18}")
    figures = {}
    for side, label in (("acl", "app (the estate's ACL)"), ("open", "open (+@all ~* &*)")):
        values = times[side]
        figures[side] = (percentile(values, 0.50), percentile(values, 0.95))
        p50, p95 = (1000 * v for v in figures[side])
        mean = 1000 * statistics.fmean(values)
        print(f"{label:<28} {p50:>8.2f} {p95:>8.2f} {mean:>8.2f} {server_time[side]:>18.2f}")
    print(
        f"ratio app/open: p50 {figures['acl'][0] / figures['open'][0]:.3f}, "
        f"p95 {figures['acl'][1] / figures['open'][1]:.3f}, "
        f"server time per command {server_time['acl'] / server_time['open']:.3f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure), args.tasks, args.batch)))
        return 0
    return orchestrate(max(1, args.tasks), max(1, args.batch))


if __name__ == "__main__":
    raise SystemExit(main())
