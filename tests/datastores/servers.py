"""Real PostgreSQL and Redis servers for the tests, on loopback, in a private mount namespace.

The rendered files name absolute container paths (/etc/postgresql/credentials/...,
/etc/redis/auth/auth.conf). Rather than rewriting them, each test gets a mount namespace
of its own with tmpfs mounts over those directories, so the servers read exactly the
rendered files at exactly their paths; nothing of the host changes and parallel tests do
not see each other's files. Servers run as the unprivileged `postgres` and `redis` users.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis as redis_py

from components.datastores.postgres.files import PG_ROLES_FILE
from tests.support.ports import free_port
from tests.support.tools import require_tool

from .rendered import Rendered

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def require_root_tools() -> None:
    if os.geteuid() != 0:
        message = "the datastore server tests need root (mount namespaces, runuser)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for tool in ("unshare", "nsenter", "runuser", "redis-server", "psql", str(PG_BIN / "postgres")):
        require_tool(tool)


@dataclass
class Namespace:
    """A mount namespace kept alive by a sleeping holder process."""

    holder: subprocess.Popen[bytes]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # With an own root (see `own_root`), commands run chrooted into this directory.
    chroot: str | None = None

    @property
    def root(self) -> Path:
        return Path(f"/proc/{self.holder.pid}/root{self.chroot or ''}")

    def command(self, argv: Sequence[str], user: str | None = None) -> list[str]:
        inner = ["runuser", "-u", user, "--", *argv] if user else list(argv)
        if self.chroot:
            inner = ["chroot", self.chroot, *inner]
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--", *inner]

    def run(
        self,
        argv: Sequence[str],
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(argv, user),
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def client_command(self, argv: Sequence[str], hosts: Path) -> list[str]:
        """A client "pod" on this namespace's network: a mount namespace of its own that sees
        the host's files (this one's /tmp may be a tmpfs, hiding a checkout or virtualenv that
        lives under /tmp), with `hosts` as /etc/hosts so the cluster's names resolve."""
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        mount = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, str(hosts)]
        return ["nsenter", "-t", str(self.holder.pid), "-n", "--", *mount, *argv]

    def start(self, argv: Sequence[str], user: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(self.command(argv, user), stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def tmpfs(self, path: str, owner: str) -> None:
        self.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=2g", "tmpfs", path])
        self.run(["chown", f"{owner}:{owner}", path])

    def hosts(self, entries: str, scratch: Path) -> None:
        """The names the rendered files use (postgres, postgres-ro) resolve as in the cluster."""
        scratch.write_text(f"127.0.0.1 localhost\n{entries}")
        self.run(["mount", "--bind", str(scratch), "/etc/hosts"])

    def own_root(self, scratch: Path) -> None:
        """From now on a root of its own: the host's root filesystem under a tmpfs overlay, so
        any absolute path a config names (a data directory such as /data) can be created
        without touching the host. `scratch` is an empty host directory, hidden by a tmpfs."""
        self.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1g", "tmpfs", str(scratch)])
        self.run(["mkdir", f"{scratch}/upper", f"{scratch}/work", f"{scratch}/root"])
        lower = f"lowerdir=/,upperdir={scratch}/upper,workdir={scratch}/work"
        self.run(["mount", "-t", "overlay", "overlay", "-o", lower, f"{scratch}/root"])
        self.run(["mount", "--rbind", "/dev", f"{scratch}/root/dev"])
        self.run(["mount", "-t", "proc", "proc", f"{scratch}/root/proc"])
        self.chroot = f"{scratch}/root"

    def write(self, path: str, content: str, owner: str, mode: int = 0o640) -> None:
        target = self.root / path.lstrip("/")
        self.run(["install", "-d", "-o", owner, "-g", owner, str(Path(path).parent)])
        target.write_bytes(content.encode("utf-8"))
        shutil.chown(target, owner, owner)
        target.chmod(mode)


@contextmanager
def namespace(net: bool = False, join: Namespace | None = None) -> Iterator[Namespace]:
    """A mount namespace; with `net` also a network namespace of its own (its own loopback,
    so servers may take their production ports); with `join`, the network of another."""
    require_root_tools()
    holder_command = ["unshare", "--mount", *(["--net"] if net else []), "--propagation", "private"]
    if join is not None:
        holder_command = ["nsenter", "-t", str(join.holder.pid), "-n", "--", *holder_command]
    holder = subprocess.Popen([*holder_command, "sleep", "infinity"])
    ns = Namespace(holder)
    try:
        own = os.readlink("/proc/self/ns/mnt")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{holder.pid}/ns/mnt") == own:
            assert time.monotonic() < deadline, "unshare did not create a mount namespace"
            time.sleep(0.02)
        if net:
            ns.run(["ip", "link", "set", "lo", "up"])
        yield ns
    finally:
        for process in ns.processes:
            stop(process)
        holder.kill()
        holder.wait()


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(
    check: object,
    what: str,
    timeout: float = 60,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with suppress(Exception):
            if check():  # type: ignore[operator]
                return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the server exited\n{log.read_text() if log else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: timed out\n{log.read_text() if log else ''}")
        time.sleep(0.1)


# ---------------------------------------------------------------- PostgreSQL


@dataclass
class Postgres:
    """A PostgreSQL 15 server started the way the official image starts one, with the
    rendered command line, pg_hba.conf, credential files and roles script."""

    ns: Namespace
    args: list[str]
    env: dict[str, str]
    roles_sql: str
    log: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    @property
    def pgdata(self) -> str:
        return self.env["PGDATA"]

    def initdb(self) -> None:
        """What the image's entrypoint does on an empty volume, before its init scripts."""
        initdb_args = self.env["POSTGRES_INITDB_ARGS"].split()
        self.ns.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                self.pgdata,
                f"--username={self.env['POSTGRES_USER']}",
                f"--pwfile={self.env['POSTGRES_PASSWORD_FILE']}",
                *initdb_args,
            ],
            user="postgres",
        )

    def start(self) -> None:
        command = [
            str(PG_BIN / "postgres"),
            "-D",
            self.pgdata,
            *self.args,
            # The container listens on every address of its pod; the test on loopback only.
            "-c",
            f"listen_addresses={self.host}",
            "-c",
            f"port={self.port}",
        ]
        self.process = self.ns.start(command, "postgres", self.log)
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_until(
            lambda: (
                self.ns.run(
                    [str(PG_BIN / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)], check=False
                ).returncode
                == 0
            ),
            "postgres accepting connections",
            process=self.process,
            log=self.log,
        )

    def stop(self) -> None:
        assert self.process is not None
        stop(self.process)

    def apply_roles(self) -> subprocess.CompletedProcess[str]:
        """As the image's docker_process_sql runs an init script: the administrator on the
        Unix socket, its password from the file the image read it from."""
        path = "/var/lib/postgresql/roles.sql"
        self.ns.write(path, self.roles_sql, "postgres")
        admin_password = (self.ns.root / self.env["POSTGRES_PASSWORD_FILE"].lstrip("/")).read_text()
        return self.ns.run(
            [
                "psql",
                "-v",
                "ON_ERROR_STOP=1",
                "--username",
                self.env["POSTGRES_USER"],
                "--no-password",
                "--no-psqlrc",
                "--dbname",
                self.env["POSTGRES_DB"],
                "-p",
                str(self.port),
                "-f",
                path,
            ],
            user="postgres",
            env={"PGPASSWORD": admin_password},
        )

    def sql(
        self, query: str, user: str, password: str, database: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """A client on TCP, as the application and the exporter connect."""
        result = self.ns.run(
            [
                "psql",
                "-X",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                database,
                "-c",
                query,
            ],
            env={"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"},
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{user}@{database}: {query}: {result.stderr}")
        return result

    def sql_url(self, query: str, url: str) -> str:
        """A client given a connection URL, parsed by libpq as the application's driver does."""
        result = self.ns.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", query, url], check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout


def _postgres_files(ns: Namespace, files: Mapping[str, str]) -> None:
    for directory in ("/etc/postgresql", "/var/lib/postgresql", "/var/run/postgresql", "/tmp"):
        ns.tmpfs(directory, "postgres")
    for path, content in files.items():
        if path.startswith("/etc/postgresql/"):
            ns.write(path, content, "postgres", 0o440 if "/credentials/" in path else 0o444)


@contextmanager
def postgres(
    files: Mapping[str, str],
    command: Sequence[str],
    env: Mapping[str, str],
    roles_sql: str,
    log: Path,
    ns: Namespace | None = None,
    port: int | None = None,
) -> Iterator[Postgres]:
    """A fresh volume: initdb, the rendered roles script, then the server as the estate runs it."""
    with contextlib.ExitStack() as stack:
        ns = ns or stack.enter_context(namespace())
        _postgres_files(ns, files)
        args = list(command[command.index("postgres") + 1 :])
        server = Postgres(ns, args, dict(env), roles_sql, log)
        if port is not None:
            server.port = port
        server.initdb()
        server.start()
        server.apply_roles()
        yield server


# The names the rendered files use, resolving as in the cluster: the primary, the replicas.
CLUSTER_HOSTS = "127.0.0.1 postgres\n127.0.0.2 postgres-ro\n"


@contextmanager
def primary_at_home(primary: Rendered, scratch: Path) -> Iterator[Postgres]:
    """The primary from its rendered files at its production address postgres:5432, in a
    network namespace of its own (its own loopback) where the rendered names resolve as in
    the cluster. Its log and hosts file go to `scratch`."""
    with namespace(net=True) as ns:
        ns.hosts(CLUSTER_HOSTS, scratch / "hosts-primary")
        files = primary.files
        log = scratch / "primary.log"
        with postgres(files, primary.command, primary.env, files[PG_ROLES_FILE], log, ns, 5432) as server:
            yield server


@contextmanager
def replica(primary: Postgres, rendered: Rendered, scratch: Path) -> Iterator[Postgres]:
    """A read replica in a mount namespace of its own on the primary's network, started by
    the rendered replica script (which clones the primary on its empty volume)."""
    files, command, log = rendered.files, rendered.command, scratch / "replica.log"
    with namespace(join=primary.ns) as ns:
        ns.hosts(CLUSTER_HOSTS, scratch / "hosts-replica")  # before /tmp is a tmpfs
        _postgres_files(ns, files)
        server = Postgres(ns, [], dict(rendered.env), "", log, port=primary.port, host="127.0.0.2")
        assert command[0] == "bash"
        argv = [
            "env",
            f"PATH={PG_BIN}:/usr/bin:/bin",
            f"PGDATA={server.pgdata}",
            *command,
            "-c",
            f"listen_addresses={server.host}",
            "-c",
            f"port={server.port}",
        ]
        server.process = ns.start(argv, "postgres", log)
        server.wait_ready()
        yield server


@dataclass
class SettingsChecker:
    """PostgreSQL's own parser for a command line's settings, with no server started: one
    initdb'd data directory, then `postgres -C` (which reads every -c, rejects an unknown
    name or a bad value, and exits) for each command line."""

    ns: Namespace
    pgdata: str = "/var/lib/postgresql/settings-check"

    def problems(self, args: Sequence[str]) -> list[str]:
        result = self.ns.run(
            [str(PG_BIN / "postgres"), "-D", self.pgdata, *args, "-C", "server_version"],
            user="postgres",
            check=False,
        )
        return [] if result.returncode == 0 else [f"postgres -C: {result.stderr.strip()}"]


@contextmanager
def postgres_settings_checker() -> Iterator[SettingsChecker]:
    with namespace() as ns:
        ns.tmpfs("/var/lib/postgresql", "postgres")
        checker = SettingsChecker(ns)
        ns.run([str(PG_BIN / "initdb"), "-D", checker.pgdata, "--no-sync", "-U", "postgres"], user="postgres")
        yield checker


# ---------------------------------------------------------------- Redis


@dataclass
class Redis:
    ns: Namespace
    conf: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    # A test-only observer, from the command line (the rendered files stay as they are): the
    # estate has no user that may list the users or read what the server refused and counted
    # (ACL LOG, INFO commandstats), so the tests add one that may do that and read (never
    # write) what they check.
    observer_password: str = field(default_factory=lambda: secrets.token_hex(16))
    # More test-only command-line arguments (bench/celery_broker.py adds an unrestricted user).
    extra_args: list[str] = field(default_factory=list)

    def start(self) -> None:
        # The container listens on its pod address at 6379; the test on loopback, a free port.
        command = [
            "redis-server",
            self.conf,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--user",
            "observer",
            "on",
            f">{self.observer_password}",
            "~*",
            "-@all",
            "+acl|list",
            "+acl|users",
            "+acl|log",
            "+info",
            "+command|list",
            "+lrange",
            "+smembers",
            "+dbsize",
            *self.extra_args,
        ]
        self.process = self.ns.start(command, "redis", self.log)
        wait_until(self._answers, "redis-server accepting connections", process=self.process, log=self.log)

    def client(self, user: str | None, password: str | None) -> redis_py.Redis:
        return redis_py.Redis(
            host="127.0.0.1",
            port=self.port,
            username=user,
            password=password,
            socket_timeout=10,
            protocol=2,
        )

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))

    def stop(self, kill: bool = False) -> None:
        assert self.process is not None
        if kill:
            # The process we hold is runuser; the server is its one child.
            pid = self.process.pid
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                os.kill(int(child), signal.SIGKILL)
        stop(self.process)


@contextmanager
def redis(
    files: Mapping[str, str],
    command: Sequence[str],
    data_dir: str,
    log: Path,
    data_root: str = "/var/lib/redis",
    own_root: Path | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[Redis]:
    """`data_dir` is the rendered `dir`, somewhere under `data_root` (a directory the host has);
    or, given `own_root` (an empty scratch directory), anywhere: see Namespace.own_root."""
    with namespace() as ns:
        if own_root is not None:
            ns.own_root(own_root)
        ns.tmpfs("/etc/redis", "redis")
        if own_root is None:
            ns.tmpfs(data_root, "redis")
        ns.run(["install", "-d", "-o", "redis", "-g", "redis", data_dir])
        for path, content in files.items():
            ns.write(path, content, "redis", 0o440)
        assert command[0] == "redis-server"
        server = Redis(ns, command[1], log, extra_args=list(extra_args))
        server.start()
        yield server
