"""The port helper every server test takes its ports from (tests/support/ports.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import ports

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lock directory of the test's own, and pools above the ephemeral range (which the real
    draws never touch), so these tests and the suite's servers cannot take each other's ports."""
    directory = tmp_path / "locks"
    monkeypatch.setattr(ports, "LOCK_DIR", directory)
    return directory


def everything_free(port: int) -> socket.socket:
    """A stand-in OS that says every port is free, whatever is bound: only the helper's own
    bookkeeping can keep the answers apart."""
    return socket.socket()


def test_one_call_hands_out_distinct_ports_below_the_ephemeral_range() -> None:
    drawn = ports.free_ports(200)
    assert len(set(drawn)) == 200, f"free_ports(200) repeated a port: {sorted(drawn)}"
    ephemeral = ports.port_range()
    # bind(0) answers from the ephemeral range, where any other socket may take the port
    # again before the server binds it.
    assert all(port in ephemeral for port in drawn), f"ports outside {ephemeral}: {drawn}"


def test_every_port_is_bindable_when_handed_out() -> None:
    for port in ports.free_ports(20):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # raises EADDRINUSE on a port that is not free


def test_a_port_is_never_handed_out_twice_even_if_the_os_says_it_is_free(locks: Path) -> None:
    pool = range(61990, 61993)
    first = ports.free_ports(3, candidates=pool, probe=everything_free)
    assert sorted(first) == list(pool)
    # Every candidate is now leased by this process: an error, never a repeat.
    with pytest.raises(ports.NoFreePortError, match="61990-61992"):
        ports.free_ports(1, candidates=pool, probe=everything_free)


def test_a_port_in_use_is_skipped(locks: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        pool = range(taken, taken + 1)
        with pytest.raises(ports.NoFreePortError):
            ports.free_ports(1, candidates=pool)


def test_a_port_leased_by_another_process_is_skipped(locks: Path) -> None:
    """What keeps two xdist workers (or two checkouts' runs) apart: the other process holds
    its ports while it lives, whatever the OS says about them."""
    pool = range(61900, 61960)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import json, pathlib, socket, sys
                from tests.support import ports
                ports.LOCK_DIR = pathlib.Path({str(locks)!r})
                got = ports.free_ports(30, candidates=range({pool.start}, {pool.stop}),
                                       probe=lambda port: socket.socket())
                print(json.dumps(got), flush=True)
                sys.stdin.read()
                """
            ),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line, f"the holder process printed nothing (exit {holder.poll()})"
        theirs = set(json.loads(line))
        mine = set(ports.free_ports(len(pool) - len(theirs), candidates=pool, probe=everything_free))
        assert not mine & theirs, f"handed out ports another process holds: {sorted(mine & theirs)}"
        with pytest.raises(ports.NoFreePortError):
            ports.free_ports(1, candidates=pool, probe=everything_free)
    finally:
        holder.communicate("")


def test_the_ports_are_free_again_when_the_holder_dies(locks: Path) -> None:
    pool = range(61800, 61810)
    code = (
        "import json, pathlib, socket; from tests.support import ports; "
        f"ports.LOCK_DIR = pathlib.Path({str(locks)!r}); "
        f"print(json.dumps(ports.free_ports(10, candidates=range({pool.start}, {pool.stop}), "
        "probe=lambda port: socket.socket())))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert sorted(json.loads(result.stdout)) == list(pool)
    # The holder exited without releasing anything: its leases went with it.
    assert sorted(ports.free_ports(10, candidates=pool, probe=everything_free)) == list(pool)


def test_the_range_leaves_the_ephemeral_ports_alone(tmp_path: Path) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("40000\t60999\n")
    assert ports.port_range(setting) == range(ports.LOWEST, 40000)
    # No room below: the whole upper range, where only the leases and the probe keep order.
    setting.write_text("1024 65535\n")
    assert ports.port_range(setting) == range(ports.LOWEST, 65536)


def test_asking_for_no_port_is_an_error() -> None:
    with pytest.raises(ValueError, match="n >= 1"):
        ports.free_ports(0)
