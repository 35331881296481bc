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

_lock = threading.Lock()
_stub: Any = None
_address: str | None = None


def engine_address_from_argv(argv: list[str]) -> str | None:
    # Same positional layout pulumi.policy's own __main__ parses.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("engineAddress", nargs="?")
    parser.add_argument("program", nargs="?")
    args, _ = parser.parse_known_args(argv)
    addr = args.engineAddress
    return addr if isinstance(addr, str) and ":" in addr else None


def configure(address: str | None) -> None:
    global _address, _stub
    with _lock:
        _address = address
        _stub = None


def configure_from_argv() -> None:
    configure(engine_address_from_argv(sys.argv[1:]))


def _engine() -> Any:
    global _stub
    with _lock:
        if _stub is None and _address:
            import grpc
            from pulumi.runtime.proto import engine_pb2_grpc

            _stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(_address))
        return _stub


def warn(message: str, urn: str = "") -> None:
    engine = _engine()
    if engine is None:
        return
    from pulumi.runtime.proto import engine_pb2

    try:
        engine.Log(
            engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn or ""),
            timeout=5,
        )
    except Exception as exc:  # noqa: BLE001 - a lost log line must not fail the analysis
        print(f"shiksha-policy: could not log to engine: {exc}; message: {message}", file=sys.stderr)
