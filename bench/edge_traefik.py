"""wrk through a real Traefik serving the estate's own Gateway API edge (policyProvider
traefik) vs straight to the backend, side by side in one run, for the estate's routes.
This machine only (the backend on its own non-loopback address, as the EndpointSlices
need), bounded duration.

    .venv/bin/python -m bench.edge_traefik [--duration 5] [--connections 32] [--threads 2]

The backend is an nginx answering a fixed 2 KB JSON body (bench/nginx_edge.py), so the
backend is not the bottleneck: the difference is the edge (TLS termination, routing, the
header filter, the rate-limit, in-flight and CORS Middlewares). The limits are lifted (a
load generator is one client): every Middleware still runs on each request, none refuses.
Needs the control plane (tools/kube/bootstrap.sh) and Traefik (scripts/setup-test-tools.sh).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nginx_edge import BODY, upstream_conf, wrk, wrk_arguments  # noqa: E402
from tests.apiserver.controlplane import ControlPlane, missing_binaries  # noqa: E402
from tests.apiserver.kube import Kube  # noqa: E402
from tests.edge_traffic.estate import live_edge  # noqa: E402
from tests.edge_traffic.traefik import Cluster, install_crds, local_address  # noqa: E402
from tests.nginx import harness  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.tools import CACHE_BIN  # noqa: E402

# One path per route class of the estate: API (private), the SPA shell (revalidate), a
# hashed asset (immutable), an ML path (its own rule).
ROUTES = {
    "/api/v1/lessons": "api",
    "/": "frontend",
    "/assets/app.3f9a.js": "frontend",
    "/api/v2/ml/info": "api",
}
LIFTED = {
    "edge": {
        "rateLimits": {
            "requestsPerSecond": 1_000_000,
            "globalRequestsPerSecond": 1_000_000,
            "connectionsPerClient": 65535,
        }
    }
}


def main() -> int:
    args = wrk_arguments(__doc__)
    duration = args.duration
    traefik = shutil.which("traefik") or shutil.which("traefik", path=str(CACHE_BIN))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    address = local_address()
    missing = [
        what
        for what, ok in (
            ("wrk", shutil.which("wrk")),
            ("traefik (scripts/setup-test-tools.sh)", traefik),
            ("the control plane (tools/kube/bootstrap.sh)", not missing_binaries()),
            ("a non-loopback IPv4 address", address),
        )
        if not ok
    ]
    if missing:
        print(f"cannot run: missing {', '.join(missing)}")
        return 1
    assert traefik is not None and address is not None

    with tempfile.TemporaryDirectory(prefix="traefik-bench-") as tmp, ExitStack() as stack:
        directory = Path(tmp)
        for sub in ("up", "up/temp-up", "cp", "edge"):
            (directory / sub).mkdir()
        up_port = free_port()
        conf = upstream_conf(directory / "up", up_port, address)
        stack.enter_context(harness.running_nginx(nginx, conf, up_port, up_port, host=address))
        cp = ControlPlane(directory / "cp")
        stack.callback(cp.stop)
        t0 = time.monotonic()
        cp.start()
        kube = Kube(cp.kubeconfig, cp.workdir)
        install_crds(kube, traefik)
        cluster = Cluster(kube, cp.kubeconfig)
        edge = stack.enter_context(
            live_edge(
                cluster,
                traefik,
                address,
                directory / "edge",
                "gateway-api",
                "bench",
                LIFTED,
                backend_ports=dict.fromkeys(set(ROUTES.values()), up_port),
            )
        )
        print(f"control plane and Traefik ready in {time.monotonic() - t0:.0f} s")
        print(
            f"wrk -t{args.threads} -c{args.connections} -d{duration}s, {len(BODY)} B JSON; "
            f"direct: HTTP to the backend on {address}; traefik: HTTPS through the estate's edge"
        )
        results = {}
        for path in ROUTES:
            for name, url in (
                ("direct", f"http://{address}:{up_port}{path}"),
                ("traefik", f"https://127.0.0.1:{edge.traefik.websecure_port}{path}"),
            ):
                wrk(url, 1, args.connections, args.threads)  # warm-up
                results[(path, name)] = wrk(url, duration, args.connections, args.threads)
                time.sleep(0.5)

    print(
        f"{'route':<22} {'direct r/s':>11} {'p95 ms':>7} {'traefik r/s':>12} {'p95 ms':>7} {'r/s ratio':>9}"
    )
    for path in ROUTES:
        d, t = results[(path, "direct")], results[(path, "traefik")]
        bad = int(d["non2xx"] + t["non2xx"])
        print(
            f"{path:<22} {d['rps']:>11.0f} {d['p95_ms']:>7.2f} {t['rps']:>12.0f} {t['p95_ms']:>7.2f} "
            f"{t['rps'] / d['rps']:>9.2f}" + (f"  ({bad} non-2xx!)" if bad else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
