"""The api's side of the Celery and redis-py scenarios, run in the clients' own virtualenv.

    <clients venv>/bin/python -m tests.clients.drive

A long-lived process: reads one JSON request per line on stdin ({"scenario": ..., "args": ...}),
answers one JSON line on stdout ({"ok": value} or {"error": text}). Its broker, result backend
and REDIS_URL are the api's rendered variables (host and port pointed at the test server).
Every step names the client call it makes; a failure answers with that call and what came
back (the server's reply as the client raised it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import redis
from celery import chord, group
from celery.result import AsyncResult

from tests.clients.celery_app import make_app

T = TypeVar("T")
TIMEOUT = 60.0

app = make_app(os.environ["CELERY_BROKER_URL"], os.environ["CELERY_RESULT_BACKEND"])


class Failed(Exception):  # noqa: N818 (a scenario's failure, read as text by the test)
    pass


def call(what: str, action: Callable[[], T]) -> T:
    try:
        return action()
    except Failed:
        raise
    except Exception as exc:  # the client's own exception carries the server's reply
        raise Failed(f"{what}: {type(exc).__module__}.{type(exc).__name__}: {exc}") from exc


def expect(what: str, got: object, wanted: object) -> None:
    if got != wanted:
        raise Failed(f"{what}: got {got!r}, expected {wanted!r}")


def task(name: str) -> Any:
    return app.tasks[name]


def ping(node: str) -> bool:
    replies = call("app.control.ping(timeout=1)", lambda: app.control.ping(timeout=1.0))
    return any(node in reply for reply in replies)


def result_of(what: str, result: AsyncResult) -> Any:
    return call(f"{what}.get(timeout={TIMEOUT:.0f})", lambda: result.get(timeout=TIMEOUT))


def task_and_result() -> int:
    value = result_of("add.delay(2, 3)", task("tests.add").delay(2, 3))
    expect("add.delay(2, 3).get()", value, 5)
    return int(value)


def countdown_and_eta() -> dict[str, float]:
    sent = time.time()
    later = call("now.apply_async(countdown=2)", lambda: task("tests.now").apply_async(countdown=2))
    eta = datetime.now(UTC) + timedelta(seconds=2)
    at = call("now.apply_async(eta=now+2s)", lambda: task("tests.now").apply_async(eta=eta))
    ran_later = float(result_of("now.apply_async(countdown=2)", later))
    ran_at = float(result_of("now.apply_async(eta=...)", at))
    # One clock (same machine): a task never runs before its countdown or ETA (0.1 s for the
    # worker's timer rounding; an ignored ETA would run about 2 s early).
    if ran_later < sent + 2 - 0.1 or ran_at < eta.timestamp() - 0.1:
        raise Failed(
            f"ran early: countdown task at +{ran_later - sent:.2f} s, "
            f"ETA task {ran_at - eta.timestamp():.2f} s after its ETA"
        )
    return {"countdown_delay": ran_later - sent, "after_eta": ran_at - eta.timestamp()}


def retries() -> int:
    result = call("flaky.delay(2)", lambda: task("tests.flaky").delay(2))
    expect("flaky.delay(2).get() (retries before success)", result_of("flaky.delay(2)", result), 2)
    return 2


def group_and_chord() -> dict[str, Any]:
    add, tsum = task("tests.add"), task("tests.tsum")
    grouped = call("group(add.s(i, i) for i in range(10))()", group(add.s(i, i) for i in range(10)))
    values = call(f"group(...)().get(timeout={TIMEOUT:.0f})", lambda: grouped.get(timeout=TIMEOUT))
    expect("group(add.s(i, i) ...)().get()", values, [2 * i for i in range(10)])
    chorded = call(
        "chord(add.s(i, i) ...)(tsum.s())", lambda: chord(add.s(i, i) for i in range(10))(tsum.s())
    )
    expect("chord(...)(tsum.s()).get()", result_of("chord(...)(tsum.s())", chorded), 90)
    return {"group": values, "chord": 90}


def wait_state(what: str, result: AsyncResult, state: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (seen := call(f"AsyncResult({result.id}).state", lambda: result.state)) != state:
        if time.monotonic() > deadline:
            raise Failed(f"{what}: state stayed {seen}, expected {state}")
        time.sleep(0.1)


def revoke() -> dict[str, str]:
    running = call("sleep.delay(120)", lambda: task("tests.sleep").delay(120))
    wait_state("sleep.delay(120) (task_track_started)", running, "STARTED")
    call(
        "AsyncResult.revoke(terminate=True, signal='SIGKILL')",
        lambda: running.revoke(terminate=True, signal="SIGKILL"),
    )
    waiting = call(
        "add.apply_async((1, 1), countdown=2)", lambda: task("tests.add").apply_async((1, 1), countdown=2)
    )
    call("AsyncResult.revoke()", waiting.revoke)
    wait_state("running task revoked with terminate=True", running, "REVOKED")
    wait_state("task revoked before its countdown", waiting, "REVOKED")
    return {"running": running.state, "waiting": waiting.state}


def send_slow() -> str:
    return str(call("slow.delay() (acks_late)", lambda: task("tests.slow").delay()).id)


def wait_result(task_id: str) -> Any:
    return result_of(f"AsyncResult({task_id!r})", AsyncResult(task_id, app=app))


def lock() -> dict[str, Any]:
    """What the api does with REDIS_URL around work only one replica may do."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=10)
    held = client.lock("lock:nightly-report", timeout=10)
    other = client.lock("lock:nightly-report", timeout=10)
    expect("Lock.acquire(blocking=False)", call("Lock.acquire", lambda: held.acquire(blocking=False)), True)
    expect(
        "second Lock.acquire(blocking=False) while held",
        call("Lock.acquire", lambda: other.acquire(blocking=False)),
        False,
    )
    expect("Lock.owned()", call("Lock.owned", held.owned), True)
    expect("Lock.extend(5) (Lua)", call("Lock.extend(5)", lambda: held.extend(5)), True)
    expect("Lock.reacquire() (Lua)", call("Lock.reacquire", held.reacquire), True)
    call("Lock.release() (Lua)", held.release)
    expect(
        "Lock.acquire after release",
        call("Lock.acquire", lambda: other.acquire(blocking=True, blocking_timeout=5)),
        True,
    )
    call("Lock.release() (Lua)", other.release)
    expect("Lock.locked() after release", call("Lock.locked", other.locked), False)
    return {"lock": "ok"}


SCENARIOS: dict[str, Callable[..., Any]] = {
    "ping": ping,
    "task_and_result": task_and_result,
    "countdown_and_eta": countdown_and_eta,
    "retries": retries,
    "group_and_chord": group_and_chord,
    "revoke": revoke,
    "send_slow": send_slow,
    "wait_result": wait_result,
    "lock": lock,
}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"ok": SCENARIOS[request["scenario"]](**request.get("args", {}))}
        except Failed as failure:
            answer = {"error": str(failure)}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
