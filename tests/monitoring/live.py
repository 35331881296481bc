"""The estate's monitoring running for real on loopback, from the files the program renders.

One program run (prod stack, kubernetes target, under mocks) gives every file and command
line: the Redis broker and PostgreSQL started from their rendered files (the datastore
tests' servers), redis_exporter and postgres_exporter with the environment their
Deployments get (only the server address changes), the blackbox exporter with its rendered
blackbox.yml, and Prometheus and Alertmanager with their rendered configs and rule files.
The test copies change only where things are: scrape targets (as Kubernetes discovery would
find them, see discovery.py), the Alertmanager and receiver URLs, the file paths; and, where
a test must see an alert in seconds, the intervals and the rules' `for:`. No expression,
threshold, label, route or inhibit rule is touched: thresholds come from the stack config.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
import subprocess
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from components.datastores.postgres.files import PG_ROLES_FILE
from components.render.prometheus import BLACKBOX_PORT
from tests.datastores.rendered import Rendered, from_snapshot
from tests.datastores.servers import Postgres, Redis, postgres, redis, stop
from tests.support.program import TEST_SECRETS, run_program
from tests.support.tools import free_port, require_tool

from .discovery import as_static
from .servers import LocalEndpoint, deliver_to, get_json, running, wait_for

# The broker's data directory on a path the test host has (as the datastore tests do).
REDIS_DATA = "/var/lib/redis"
WORKLOADS = (
    "redis",
    "redis-exporter",
    "postgres",
    "postgres-exporter",
    "blackbox-exporter",
    "prometheus",
    "alertmanager",
)
# Debian's build of postgres_exporter (the estate pins v0.15.0; see docs/monitoring.md).
POSTGRES_EXPORTER = "prometheus-postgres-exporter"


def stack_values(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The prod stack with the broker's data where the test host has a directory, and a
    maxmemory a test can fill (the datastore tests' overrides), plus `extra`."""
    return {
        "shiksha-setu:redis": {"maxmemory": "4mb"},
        "shiksha-setu:workloads": {"redis": {"storage": {"mountPath": REDIS_DATA}}},
        **(extra or {}),
    }


def render_estate(values: Mapping[str, Any]) -> dict[str, Rendered]:
    snapshot = run_program("prod", overrides=dict(values), secrets=TEST_SECRETS)
    return {workload: from_snapshot(snapshot, "kubernetes", workload) for workload in WORKLOADS}


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Rendered files at their container paths, under `root`."""
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)


def redis_exporter_env(rendered: Rendered, broker: Redis, listen: str, debug: bool) -> dict[str, str]:
    env = dict(rendered.env)
    assert env["REDIS_ADDR"].startswith("redis://redis:"), env["REDIS_ADDR"]
    env["REDIS_ADDR"] = f"redis://127.0.0.1:{broker.port}"
    env["REDIS_EXPORTER_WEB_LISTEN_ADDRESS"] = listen
    if debug:
        # Every command's error is logged, also those the exporter otherwise swallows.
        env["REDIS_EXPORTER_DEBUG"] = "true"
    return env


def postgres_exporter_env(rendered: Rendered, pg: Postgres) -> dict[str, str]:
    env = dict(rendered.env)
    host, rest = env["DATA_SOURCE_URI"].split(":", 1)
    assert host == "postgres", env["DATA_SOURCE_URI"]
    env["DATA_SOURCE_URI"] = f"127.0.0.1:{pg.port}/" + rest.split("/", 1)[1]
    return env


def metrics_text(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        return str(response.read().decode())


def shorten_rules(rules: Mapping[str, str], for_: str) -> dict[str, str]:
    """The rule files with every `for:` set to `for_`; expressions and labels untouched."""
    out = {}
    for path, text in rules.items():
        data = yaml.safe_load(text)
        for group in data["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = for_
        out[path] = yaml.safe_dump(data, sort_keys=False)
    return out


@dataclass
class Estate:
    """The servers and exporters of one estate, started; addresses on loopback."""

    root: Path
    rendered: dict[str, Rendered]
    broker: Redis
    pg: Postgres
    exporters: dict[str, str] = field(default_factory=dict)  # scrape job -> host:port
    logs: dict[str, Path] = field(default_factory=dict)
    prometheus: str = ""  # http://host:port/api/v1
    alertmanager: str = ""  # http://host:port/api/v2

    stack: contextlib.ExitStack | None = None
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, job: str, command: list[str], env: dict[str, str]) -> None:
        """Starts (or restarts) `job`'s process, its output appended to its log."""
        assert self.stack is not None
        old = self.processes.get(job)
        if old is not None:
            stop(old)
        self.commands[job] = (command, env)
        with self.logs[job].open("ab") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
            )
        self.processes[job] = process
        self.stack.callback(stop, process)

    def restart(self, job: str, **env: str) -> None:
        """`job` again, with `env` changed: an exporter whose Secret changed under it."""
        command, old_env = self.commands[job]
        self.spawn(job, command, {**old_env, **env})

    def query(self, expr: str) -> list[Any]:
        return list(get_json(f"{self.prometheus}/query?{urlencode({'query': expr})}")["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.prometheus}/alerts")["data"]["alerts"])

    def targets(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.prometheus}/targets?state=active")["data"]["activeTargets"])


def start_estate(
    stack: contextlib.ExitStack,
    root: Path,
    rendered: dict[str, Rendered],
    probe_ca: Path | None = None,
    receiver: LocalEndpoint | None = None,
    rule_for: str | None = None,
    extra_targets: Mapping[str, str] | None = None,
) -> Estate:
    """Starts the broker, PostgreSQL, their exporters, blackbox, Prometheus and (given a
    `receiver`) Alertmanager; registers their shutdown on `stack`."""
    root.mkdir(parents=True, exist_ok=True)
    broker_files = rendered["redis"]
    broker = stack.enter_context(
        redis(broker_files.files, broker_files.command, REDIS_DATA, root / "redis.log")
    )
    pg_files = rendered["postgres"]
    pg = stack.enter_context(
        postgres(
            pg_files.files, pg_files.command, pg_files.env, pg_files.files[PG_ROLES_FILE], root / "pg.log"
        )
    )
    estate = Estate(root, rendered, broker, pg, stack=stack)

    def start(job: str, command: list[str], env: dict[str, str], address: str) -> None:
        estate.logs[job] = root / f"{job}.log"
        estate.exporters[job] = address
        estate.spawn(job, command, env)

    address = f"127.0.0.1:{free_port()}"
    start(
        "redis-exporter",
        [require_tool("redis_exporter")],
        redis_exporter_env(rendered["redis-exporter"], broker, address, debug=True),
        address,
    )
    address = f"127.0.0.1:{free_port()}"
    start(
        "postgres-exporter",
        [require_tool(POSTGRES_EXPORTER), f"--web.listen-address={address}"],
        postgres_exporter_env(rendered["postgres-exporter"], pg),
        address,
    )
    blackbox = rendered["blackbox-exporter"]
    write_tree(root / "blackbox", blackbox.files)
    address = f"127.0.0.1:{free_port()}"
    config_file = root / "blackbox" / blackbox.command[0].split("=", 1)[1].lstrip("/")
    # The probe trusts the test's CA as a pod trusts the system store; the modules are as rendered.
    start(
        "blackbox",
        [
            require_tool("prometheus-blackbox-exporter"),
            f"--config.file={config_file}",
            f"--web.listen-address={address}",
        ],
        {"SSL_CERT_FILE": str(probe_ca)} if probe_ca else {},
        address,
    )
    for job, target in (extra_targets or {}).items():
        estate.exporters[job] = target

    if receiver is not None:
        estate.alertmanager = start_alertmanager(stack, root, rendered["alertmanager"], receiver)
        estate.logs["alertmanager"] = root / "alertmanager.log"
    estate.prometheus = start_prometheus(stack, root, estate, rule_for)
    return estate


def start_alertmanager(
    stack: contextlib.ExitStack, root: Path, rendered: Rendered, receiver: LocalEndpoint
) -> str:
    """The rendered alertmanager.yml with delivery pointed at `receiver`: PagerDuty's URL and
    each webhook's (named after its receiver), the routing key file at its test path."""
    home = root / "alertmanager"
    write_tree(home, rendered.files)
    config_arg = next(a for a in rendered.command if a.startswith("--config.file="))
    config_path = home / config_arg.split("=", 1)[1].lstrip("/")
    config = yaml.safe_load(config_path.read_text())
    key_file = home / "etc/alertmanager/secrets/pagerduty-routing-key"
    deliver_to(config, receiver, key_file)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    log = root / "alertmanager.log"
    command = [
        require_tool("prometheus-alertmanager"),
        f"--config.file={config_path}",
        f"--storage.path={root / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    stack.enter_context(running(command, log))
    api = f"http://127.0.0.1:{port}/api/v2"
    wait_for("alertmanager ready", lambda: get_json(f"{api}/status"), 60, log)
    return api


def start_prometheus(stack: contextlib.ExitStack, root: Path, estate: Estate, rule_for: str | None) -> str:
    rendered = estate.rendered["prometheus"]
    home = root / "prometheus"
    rules = {p: c for p, c in rendered.files.items() if "/rules/" in p}
    write_tree(home, {**rendered.files, **(shorten_rules(rules, rule_for) if rule_for else {})})
    config_path = home / "etc/prometheus/config/prometheus.yml"
    generated = yaml.safe_load(config_path.read_text())
    port = free_port()
    dead = f"127.0.0.1:{free_port()}"
    namespace = next(
        j["kubernetes_sd_configs"][0]["namespaces"]["names"][0]
        for j in generated["scrape_configs"]
        if "kubernetes_sd_configs" in j
    )
    # The kubelet jobs need a pod's token and CA; without a kubelet there is nothing to scrape.
    config = as_static(generated, estate.exporters, dead, namespace, drop_jobs=("nodes", "cadvisor"))
    # Fast, so a test sees a scrape, a rule evaluation and a notification in seconds; the
    # timeout above postgres_exporter's ~1 s scrape of a server that refuses it (pg_up 0).
    config["global"].update({"scrape_interval": "3s", "scrape_timeout": "3s", "evaluation_interval": "1s"})
    for job in config["scrape_configs"]:
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        if job["job_name"] == "prometheus":
            job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
        for rule in job.get("relabel_configs", []):
            if rule.get("replacement") == f"blackbox-exporter:{BLACKBOX_PORT}":
                rule["replacement"] = estate.exporters["blackbox"]
    for manager in config["alerting"]["alertmanagers"]:
        target = estate.alertmanager.removeprefix("http://").removesuffix("/api/v2") or dead
        for static in manager["static_configs"]:
            static["targets"] = [target]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    log = estate.logs["prometheus"] = root / "prometheus.log"
    command = [
        require_tool("prometheus"),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={root / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    stack.enter_context(running(command, log))
    api = f"http://127.0.0.1:{port}/api/v1"
    wait_for("prometheus ready", lambda: get_json(f"{api}/status/runtimeinfo"), 60, log)
    return api


NOPERM = re.compile(r"NOPERM|no permissions|permission denied", re.IGNORECASE)


def permission_errors(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if NOPERM.search(line)]


def self_signed(directory: Path, days: int) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid for `days` (openssl), and its key."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            require_tool("openssl"),
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", str(days), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def tls_site(cert: Path, key: Path) -> Iterator[str]:
    """An HTTPS site on loopback answering 200 to every GET; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
