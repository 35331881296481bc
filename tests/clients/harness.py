"""Real Celery workers, beat and the api's client against a real broker, driven from pytest.

The broker is redis-server started with the estate's rendered files (tests/datastores). The
workers, beat and the api's client (tests/clients/drive.py) run in the Celery clients'
virtualenv with exactly the variables the estate renders for the worker, beat and api; only
the host and port of their URLs are pointed at the test server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis as redis_py

from tests.datastores.rendered import Rendered
from tests.datastores.servers import Redis

from .venv import ROOT

CLIENT_VARIABLES = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL")
APP_MODULE = "tests.clients.celery_app"


def pointed_at(url: str, host: str, port: int) -> str:
    """The estate's URL with only its host and port replaced: user, password, database kept."""
    parts = urlsplit(url)
    userinfo, _, authority = parts.netloc.rpartition("@")
    assert authority == f"{host}:{parts.port}", f"{authority}: expected the role's host {host}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@127.0.0.1:{port}"))


def celery_args(rendered: Rendered, **replace: str) -> list[str]:
    """The estate's worker or beat command line with the test app in place of the platform's."""
    args = rendered.command[1:] if rendered.command[:1] == ["celery"] else list(rendered.command)
    args = [APP_MODULE if a == "app.celery_app" else a for a in args]
    for prefix, value in replace.items():
        args = [f"--{prefix}={value}" if a.startswith(f"--{prefix}=") else a for a in args]
    return args


def acl_log(server: Redis) -> str:
    """What the server refused, as it recorded it (the test observer may read ACL LOG)."""
    observer = server.client("observer", server.observer_password)
    entries = []
    for raw in observer.execute_command("ACL", "LOG", "20"):
        entry = dict(zip(raw[::2], raw[1::2], strict=True))
        entries.append(
            "  {username}: {reason} {object} (context {context}, {count}x)".format(
                **{
                    k.decode() if isinstance(k, bytes) else k: (v.decode() if isinstance(v, bytes) else v)
                    for k, v in entry.items()
                }
            )
        )
    return "ACL LOG (newest first):\n" + ("\n".join(entries) or "  (empty)")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return f"--- {self.name} log (last {lines} lines) ---\n" + "\n".join(text[-lines:])

    def kill(self) -> None:
        """SIGKILL to the whole process group: the worker and its pool, as a killed pod."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Clients:
    bin: Path
    rendered: dict[str, Rendered]
    broker: Redis
    scratch: Path
    processes: list[Process] = field(default_factory=list)
    driver: subprocess.Popen[str] | None = None
    # INFO commandstats before any client connected, and the scenarios that passed.
    baseline: dict[str, dict[str, int]] = field(default_factory=dict)
    ran: set[str] = field(default_factory=set)
    _workers: int = 0

    EVERYTHING = frozenset(
        {
            "task_and_result",
            "countdown_and_eta",
            "retries",
            "group_and_chord",
            "revoke",
            "lock",
            "restore",
            "beat",
            "probe",
        }
    )

    @property
    def ran_everything(self) -> bool:
        return self.ran >= self.EVERYTHING

    @property
    def markers(self) -> Path:
        path = self.scratch / "markers"
        path.mkdir(exist_ok=True)
        return path

    def env(self, role: str, **extra: str) -> dict[str, str]:
        variables = self.rendered[role].env
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "TEST_MARKERS": str(self.markers),
            "HOME": str(self.scratch),
        }
        for name in CLIENT_VARIABLES:
            env[name] = pointed_at(variables[name], "redis", self.broker.port)
        return env | extra

    def run(self, role: str, argv: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        """A command in a role's environment, to its end (a probe)."""
        return subprocess.run(
            argv,
            cwd=self.scratch,
            env=self.env(role, **extra),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, name: str, role: str, args: list[str], **extra: str) -> Process:
        log = self.scratch / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [str(self.bin / "celery"), *args],
                cwd=self.scratch,
                env=self.env(role, **extra),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_worker(self, **extra: str) -> Process:
        self._workers += 1
        name = f"w{self._workers}"
        args = celery_args(self.rendered["worker"], concurrency="2")
        # celery@<pod name> is the estate's node name (its probes ping celery@$HOSTNAME).
        worker = self.start(name, "worker", [*args, f"--hostname=celery@{name}"], **extra)
        deadline = time.monotonic() + 90
        while not self.ask("ping", node=f"celery@{name}"):
            assert worker.alive(), (
                f"the worker exited while starting\n{worker.tail()}\n{acl_log(self.broker)}"
            )
            assert time.monotonic() < deadline, f"the worker never answered app.control.ping\n{worker.tail()}"
            time.sleep(0.3)
        return worker

    def worker(self) -> Process:
        """A running worker: the last one started, or a new one."""
        live = [p for p in self.processes if p.name.startswith("w") and p.alive()]
        return live[-1] if live else self.start_worker()

    def ask(self, scenario: str, **args: Any) -> Any:
        if self.driver is None:
            self.driver = subprocess.Popen(
                [str(self.bin / "python"), "-m", "tests.clients.drive"],
                cwd=ROOT,
                env=self.env("api"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=(self.scratch / "api.log").open("ab"),
                text=True,
            )
        assert self.driver.stdin is not None and self.driver.stdout is not None
        self.driver.stdin.write(json.dumps({"scenario": scenario, "args": args}) + "\n")
        self.driver.stdin.flush()
        line = self.driver.stdout.readline()
        assert line, f"the api's client exited:\n{(self.scratch / 'api.log').read_text()}"
        answer = json.loads(line)
        if "error" in answer:
            logs = "\n".join(p.tail() for p in self.processes)
            raise AssertionError(f"{scenario}: {answer['error']}\n{acl_log(self.broker)}\n{logs}")
        self.ran.add(scenario)
        return answer["ok"]

    def close(self) -> None:
        if self.driver is not None:
            self.driver.kill()
            self.driver.wait()
        for process in self.processes:
            process.stop()


def command_stats(server: Redis) -> dict[str, dict[str, int]]:
    """INFO commandstats: command (`name` or `name|sub`) -> calls, rejected_calls, failed_calls."""
    observer = server.client("observer", server.observer_password)
    stats = observer.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): {k: int(v) for k, v in values.items() if k.endswith("calls")}
        for name, values in stats.items()
    }


def redis_client(url: str, server: Redis) -> redis_py.Redis:
    return redis_py.Redis.from_url(
        pointed_at(url, urlsplit(url).hostname or "", server.port), socket_timeout=10
    )
