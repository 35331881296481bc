"""Log lines sent to the Pulumi engine that launched the pack.

pulumi.log has no engine connection inside a policy pack, so its messages would be lost;
the engine address is the first argument ``python -m pulumi.policy`` receives, and the
engine's Log RPC shows the line in the CLI next to the resource.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any


class _EngineLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._address: str | None = None
        self._stub: Any = None

    def configure(self, address: str | None) -> None:
        with self._lock:
            self._address = address
            self._stub = None

    def stub(self) -> Any:
        with self._lock:
            if self._stub is None and self._address:
                import grpc
                from pulumi.runtime.proto import engine_pb2_grpc

                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address))
            return self._stub


_LOG = _EngineLog()


def engine_address_from_argv(argv: list[str]) -> str | None:
    # Same positional layout pulumi.policy's own __main__ parses.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("engineAddress", nargs="?")
    parser.add_argument("program", nargs="?")
    args, _ = parser.parse_known_args(argv)
    addr = args.engineAddress
    return addr if isinstance(addr, str) and ":" in addr else None


def configure(address: str | None) -> None:
    _LOG.configure(address)


def configure_from_argv() -> None:
    configure(engine_address_from_argv(sys.argv[1:]))


def warn(message: str, urn: str = "") -> None:
    engine = _LOG.stub()
    if engine is None:
        return
    from pulumi.runtime.proto import engine_pb2

    try:
        engine.Log(
            engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn or ""),
            timeout=5,
        )
    except Exception as exc:  # a lost log line must not fail the analysis
        print(f"shiksha-policy: could not log to engine: {exc}; message: {message}", file=sys.stderr)
