"""Loopback TCP ports for the servers the tests start: never the same port twice.

A port found with bind(("127.0.0.1", 0)) and closed again is free only for a moment: the
kernel hands the same ephemeral port to the next bind(0) or outgoing connection of any
process, which is how one test once gave nginx the same port for both its listeners. So:

- the ports come from below the kernel's ephemeral range (ip_local_port_range), which the
  kernel never hands out by itself, so no client connection or bind(0) anywhere on the
  machine can take one between our choice and the server's bind;
- each port is leased by an flock on a file of one directory that every test process on the
  machine shares (xdist workers, other checkouts' runs); a leased port is skipped, and the
  lease lasts as long as the process that took it: the kernel drops the lock when the
  process dies, so a crashed run leaves nothing stale;
- a probe bind without SO_REUSEADDR skips a port some other program listens on (or that
  still has a TIME_WAIT remnant), and within one call every probe socket stays bound until
  all the ports are chosen.

A process never gets a port back that it was handed before, so successive calls are
distinct too; a server that outlives its test cannot meet a later test's server.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

# Below this are the well-known and registered ports of servers a developer may run
# (PostgreSQL, Redis, Prometheus, web servers on 8080, ...).
LOWEST = 15000
# Used when the ephemeral range leaves less than this room below it (a machine that set it
# to 1024-65535); then the leases and the probe bind alone keep ports apart.
MIN_ROOM = 2000
LOCK_DIR = Path(tempfile.gettempdir()) / "shiksha-setu-ports"

# Not the global generator: a plugin that seeds it per test would make every worker start
# its search at the same port.
_random = random.SystemRandom()
_lock = threading.Lock()
_leases: dict[int, int] = {}  # port -> the fd holding its flock, for this process's life


class NoFreePortError(RuntimeError):
    pass


def port_range(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> range:
    """The ports to draw from: from LOWEST up to the kernel's ephemeral range."""
    try:
        ephemeral_low = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768  # Linux's default
    if ephemeral_low - LOWEST >= MIN_ROOM:
        return range(LOWEST, ephemeral_low)
    return range(LOWEST, 65536)


def _lease(port: int) -> int | None:
    """The fd of a held flock on the port's file, or None when another process holds it."""
    try:
        fd = os.open(LOCK_DIR / str(port), os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _probe(port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    return sock


def _ensure_lock_dir() -> None:
    LOCK_DIR.mkdir(exist_ok=True)
    # Shared by every user's runs, sticky like /tmp itself (mkdir's mode is cut by the umask);
    # the files hold no data, only locks.
    with contextlib.suppress(OSError):
        os.chmod(LOCK_DIR, 0o1777)  # noqa: S103


def free_ports(
    n: int,
    *,
    candidates: range | None = None,
    probe: Callable[[int], socket.socket | None] = _probe,
) -> tuple[int, ...]:
    """n distinct loopback ports that nothing listens on and no other test process holds.

    `candidates` and `probe` exist for the helper's own tests.
    """
    if n < 1:
        raise ValueError(f"free_ports needs n >= 1, got {n}")
    pool = candidates if candidates is not None else port_range()
    _ensure_lock_dir()
    chosen: list[int] = []
    held: list[socket.socket] = []
    with _lock:
        try:
            start = _random.randrange(len(pool))
            for offset in range(len(pool)):
                port = pool[(start + offset) % len(pool)]
                if port in _leases or port in chosen:
                    continue
                fd = _lease(port)
                if fd is None:
                    continue
                sock = probe(port)
                if sock is None:
                    os.close(fd)
                    continue
                _leases[port] = fd
                chosen.append(port)
                held.append(sock)
                if len(chosen) == n:
                    return tuple(chosen)
            for port in chosen:
                os.close(_leases.pop(port))
            raise NoFreePortError(
                f"no {n} free ports in {pool.start}-{pool.stop - 1}: {len(_leases)} are leased by this "
                f"process, the rest are in use or leased by other processes ({LOCK_DIR})"
            )
        finally:
            for sock in held:
                sock.close()


def free_port() -> int:
    """One port; take several servers' ports with one free_ports(n) call."""
    return free_ports(1)[0]
