"""The Celery app the client tests run: `celery -A tests.clients.celery_app worker|beat`.

Imports nothing of the estate (it runs in the Celery clients' own virtualenv, see
tests/clients/venv.py). Its broker and result backend are exactly the variables the estate
hands the api, worker and beat. Test-only settings, all from the environment and none of
them the estate's: the markers directory the tasks write to, a short visibility timeout with
a fast restore sweep (only the worker that rescues a killed worker's message), beat's
interval, and a short health-check interval so kombu's periodic checks run within a test.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery, Task

MARKERS = Path(os.environ.get("TEST_MARKERS", "/nonexistent"))


def make_app(broker_url: str, backend_url: str, env: dict[str, str] | None = None) -> Celery:
    env = dict(os.environ if env is None else env)
    transport: dict[str, Any] = {"health_check_interval": int(env.get("TEST_HEALTH_CHECK_INTERVAL", "2"))}
    if "TEST_VISIBILITY_TIMEOUT" in env:
        # kombu restores an unacked message this long after delivery; its sweep runs every
        # interval x throttle seconds (100 s by default), so the rescuing worker sweeps each second.
        transport |= {
            "visibility_timeout": int(env["TEST_VISIBILITY_TIMEOUT"]),
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    app = Celery("shiksha-test", broker=broker_url, backend=backend_url)
    app.conf.update(
        broker_transport_options=transport,
        result_backend_transport_options={"health_check_interval": transport["health_check_interval"]},
        broker_connection_retry_on_startup=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        result_expires=3600,
        beat_schedule=(
            {"tick": {"task": "tests.tick", "schedule": float(env["TEST_BEAT_INTERVAL"])}}
            if "TEST_BEAT_INTERVAL" in env
            else {}
        ),
    )
    register_tasks(app)
    return app


def register_tasks(app: Celery) -> None:
    @app.task(name="tests.add")
    def add(x: int, y: int) -> int:
        return x + y

    @app.task(name="tests.tsum")
    def tsum(numbers: list[int]) -> int:
        return sum(numbers)

    @app.task(name="tests.now")
    def now() -> float:
        return time.time()

    @app.task(name="tests.sleep")
    def sleep(seconds: float) -> str:
        time.sleep(seconds)
        return "slept"

    @app.task(name="tests.flaky", bind=True, max_retries=5)
    def flaky(self: Task, fail_times: int) -> int:
        if self.request.retries < fail_times:
            raise self.retry(countdown=0.2, exc=RuntimeError(f"attempt {self.request.retries} fails"))
        return int(self.request.retries)

    @app.task(name="tests.slow", bind=True, acks_late=True)
    def slow(self: Task) -> str:
        """First delivery: says it started, then runs until its worker is killed. Once the
        message is restored and delivered again, it finishes."""
        started = MARKERS / f"started-{self.request.id}"
        if started.exists():
            return "finished after redelivery"
        started.write_text(str(os.getpid()))
        time.sleep(300)
        return "finished on first delivery"

    @app.task(name="tests.tick")
    def tick() -> None:
        with (MARKERS / "ticks").open("a") as out:
            out.write(f"{time.time()}\n")


app = make_app(os.environ.get("CELERY_BROKER_URL", ""), os.environ.get("CELERY_RESULT_BACKEND", ""))
