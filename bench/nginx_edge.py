"""wrk through the generated edge nginx.conf vs a stock-like minimal nginx.conf, side by
side, in front of the same upstream. Loopback only, bounded duration.

    .venv/bin/python bench/nginx_edge.py [--duration 5] [--connections 32] [--threads 2]

The upstream is a third nginx answering a fixed 2 KB JSON body, so the upstream is not the
bottleneck and the difference is the edge configuration. In the generated config the
per-client rate limit is lifted (a load generator is one client): the limiter's zones are
still consulted on every request, but nothing is refused.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.config.loader import parse_estate  # noqa: E402
from tests.nginx import harness  # noqa: E402
from tests.support.ports import free_ports  # noqa: E402

BODY = json.dumps({"lessons": [{"id": i, "title": f"Lesson {i}", "level": "primary"} for i in range(40)]})


def upstream_conf(directory: Path, port: int, address: str = "127.0.0.1") -> Path:
    user = harness.nginx_user()
    conf = directory / "upstream.conf"
    conf.write_text(
        (f"user {user};\n" if user else "")
        + f"""worker_processes 1;
pid {directory}/upstream.pid;
error_log {directory}/upstream-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory}/temp-up;
    proxy_temp_path {directory}/temp-up;
    server {{
        listen {address}:{port};
        keepalive_requests 100000;
        location / {{
            default_type application/json;
            return 200 '{BODY}';
        }}
    }}
}}
"""
    )
    return conf


def stock_conf(directory: Path, cert: Path, key: Path, port: int, upstream_port: int) -> Path:
    """Debian's /etc/nginx/nginx.conf reduced to what serves one proxied HTTPS site."""
    user = harness.nginx_user()
    conf = directory / "stock.conf"
    conf.write_text(
        (f"user {user};\n" if user else "")
        + f"""worker_processes auto;
pid {directory}/stock.pid;
error_log {directory}/stock-error.log;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {directory}/stock-access.log;
    gzip on;
    client_body_temp_path {directory}/temp-stock;
    proxy_temp_path {directory}/temp-stock;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{ proxy_pass http://127.0.0.1:{upstream_port}; }}
    }}
}}
"""
    )
    return conf


# wrk prints 50/75/90/99 %; its Lua `done` hook reads any percentile (microseconds).
P95_SCRIPT = (
    "done = function(summary, latency, requests)\n"
    '  io.write(string.format("p95 %d\\n", latency:percentile(95)))\n'
    "end\n"
)


def wrk_arguments(description: str | None) -> argparse.Namespace:
    """--duration (bounded to 1..60 s), --connections and --threads of a wrk benchmark."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (max 60)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    return args


def wrk(url: str, duration: int, connections: int, threads: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(P95_SCRIPT)
        script.flush()
        return _wrk(url, duration, connections, threads, script.name)


def _wrk(url: str, duration: int, connections: int, threads: int, script: str) -> dict[str, float]:
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "-s",
            script,
            "--latency",
            "-H",
            f"Host: {harness.HOST}",
            "-H",
            "Accept-Encoding: gzip",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    )
    out = result.stdout

    def ms(text: str) -> float:
        match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
        if match is None:
            raise RuntimeError(f"unexpected wrk duration {text!r} in:\n{out}")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]

    latency = re.search(r"^\s+Latency\s+(\d\S*)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p95 = re.search(r"^p95 (\d+)$", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (latency and p50 and p99 and rps and p95):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {
        "rps": float(rps.group(1)),
        "avg_ms": ms(latency.group(1)),
        "p50_ms": ms(p50.group(1)),
        "p95_ms": int(p95.group(1)) / 1000,
        "p99_ms": ms(p99.group(1)),
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
    }


def main() -> int:
    args = wrk_arguments(__doc__)
    duration = args.duration
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which("wrk"):
        print("wrk is not installed (scripts/setup.sh installs it)")
        return 1

    config = parse_estate({"target": "docker-host"})
    edge = config.edge.model_copy(
        update={
            "rate_limits": config.edge.rate_limits.model_copy(
                update={
                    "requests_per_second": 1_000_000,
                    "global_requests_per_second": 1_000_000,
                    "connections_per_client": 60_000,
                }
            )
        }
    )
    # wrk sends the URL's host (127.0.0.1) as SNI: serve it rather than reject the handshake.
    settings = harness.loopback_settings(reject_unknown_hosts=False)

    with tempfile.TemporaryDirectory(prefix="nginx-bench-") as tmp, ExitStack() as stack:
        directory = Path(tmp)
        for sub in ("gen", "stock", "up"):
            (directory / sub).mkdir()
        for sub in ("temp-up", "temp-stock"):
            (directory / sub).mkdir()
        up_port, gen_http, gen_https, stock_https = free_ports(4)
        stack.enter_context(
            harness.running_nginx(nginx, upstream_conf(directory / "up", up_port), up_port, up_port)
        )
        (directory / "up" / "temp-up").mkdir(exist_ok=True)
        gen = harness.write_config(
            directory / "gen", edge, settings, f"127.0.0.1:{up_port}", gen_https, gen_http
        )
        stack.enter_context(harness.running_nginx(nginx, gen, gen_http, gen_https))
        cert, key = directory / "gen" / "tls.crt", directory / "gen" / "tls.key"
        (directory / "stock" / "temp-stock").mkdir(exist_ok=True)
        stock = stock_conf(directory / "stock", cert, key, stock_https, up_port)
        stack.enter_context(harness.running_nginx(nginx, stock, stock_https, stock_https))

        print(f"wrk -t{args.threads} -c{args.connections} -d{duration}s, {len(BODY)} B JSON, loopback, HTTPS")
        results = {}
        for name, port in (("generated", gen_https), ("stock", stock_https)):
            wrk(f"https://127.0.0.1:{port}/api/v1/lessons", 1, args.connections, args.threads)  # warm-up
            results[name] = wrk(
                f"https://127.0.0.1:{port}/api/v1/lessons", duration, args.connections, args.threads
            )
            time.sleep(0.5)

    print(f"{'config':<10} {'req/s':>10} {'avg ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        latencies = f"{r['avg_ms']:>8.2f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}"
        print(f"{name:<10} {r['rps']:>10.0f} {latencies} {r['non2xx']:>8.0f}")
    ratio = results["generated"]["rps"] / results["stock"]["rps"]
    print(f"ratio generated/stock req/s: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
