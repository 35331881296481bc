"""Celery 5 and redis-py, as the api, worker and beat run them, through the broker the estate
renders, on both targets: every scenario the platform relies on must work with the ACL user
the estate hands them. A refusal shows the client call, its error and the server's ACL LOG."""

from __future__ import annotations

import itertools
import re
import time
from datetime import datetime

import pytest

from components.config.loader import parse_estate
from components.datastores.redis.acl import REDIS_APP_COMMANDS, REDIS_APP_RARE
from tests.datastores.rendered import Rendered
from tests.datastores.servers import Redis

from .conftest import CELERY_ROLES
from .harness import APP_MODULE, CLIENT_VARIABLES, Clients, acl_log, celery_args, command_stats

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("celery-clients")]

# Celery's log line for each message beat sends.
SENT = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Scheduler: Sending due task tick ", re.M
)


def test_the_celery_clients_share_the_broker_user(estate: dict[str, Rendered]) -> None:
    urls = {role: {name: estate[role].env[name] for name in CLIENT_VARIABLES} for role in CELERY_ROLES}
    broker_url = urls["api"]["CELERY_BROKER_URL"]
    assert broker_url.startswith("redis://app:") and broker_url.endswith("@redis:6379/0")
    for role in CELERY_ROLES:
        assert set(urls[role].values()) == {broker_url}, role


def test_a_task_and_its_result(clients: Clients) -> None:
    clients.worker()
    assert clients.ask("task_and_result") == 5


def test_countdown_and_eta(clients: Clients) -> None:
    clients.worker()
    clients.ask("countdown_and_eta")


def test_retries(clients: Clients) -> None:
    clients.worker()
    assert clients.ask("retries") == 2


def test_group_and_chord(clients: Clients) -> None:
    clients.worker()
    clients.ask("group_and_chord")


def test_revoke_a_running_and_a_waiting_task(clients: Clients) -> None:
    clients.worker()
    assert clients.ask("revoke") == {"running": "REVOKED", "waiting": "REVOKED"}


def test_the_estates_worker_probe_pings_the_worker(clients: Clients) -> None:
    """The worker's readiness and liveness probes (`celery inspect ping -d celery@$HOSTNAME`)
    go through the broker as the worker's user: run exactly as the estate renders them."""
    worker = clients.worker()
    probes = parse_estate({}).workloads["worker"].probes
    for probe in (probes.readiness, probes.liveness):
        assert probe is not None and probe.exec is not None
        argv = [part.replace("app.celery_app", APP_MODULE) for part in probe.exec]
        result = clients.run("worker", argv, HOSTNAME=worker.name)
        output = f"{result.stdout}{result.stderr}\n{acl_log(clients.broker)}"
        assert result.returncode == 0 and "pong" in result.stdout, (
            f"{' '.join(argv)}: exit {result.returncode}\n{output}"
        )
    clients.ran.add("probe")


def test_redis_py_lock(clients: Clients) -> None:
    clients.ask("lock")


def test_acks_late_task_of_a_killed_worker_is_restored(clients: Clients) -> None:
    """The worker is SIGKILLed mid-task (an OOM-killed pod): the message stays unacked, and a
    worker restores it once the visibility timeout has passed (kombu's restore_visible, under
    redis-py's Lock: the Lua scripts the first release of the ACL refused)."""
    victim = clients.worker()
    task_id = clients.ask("send_slow")
    started = clients.markers / f"started-{task_id}"
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline, f"slow.delay() never started\n{victim.tail()}"
        time.sleep(0.1)
    victim.kill()
    rescuer = clients.start_worker(TEST_VISIBILITY_TIMEOUT="2")
    try:
        assert clients.ask("wait_result", task_id=task_id) == "finished after redelivery"
        clients.ran.add("restore")
    finally:
        rescuer.stop()


def test_beat_sends_its_schedule_on_time(clients: Clients, tmp_path_factory: pytest.TempPathFactory) -> None:
    clients.worker()
    schedule = tmp_path_factory.mktemp("beat") / "celerybeat-schedule"
    ticks = clients.markers / "ticks"
    ticks.unlink(missing_ok=True)
    beat = clients.start(
        "beat", "beat", celery_args(clients.rendered["beat"], schedule=str(schedule)), TEST_BEAT_INTERVAL="1"
    )
    try:
        deadline = time.monotonic() + 60
        while len(ticks.read_text().split() if ticks.exists() else []) < 3:
            assert beat.alive(), f"beat exited\n{beat.tail()}"
            assert time.monotonic() < deadline, f"beat sent fewer than 3 ticks in 60 s\n{beat.tail()}"
            time.sleep(0.2)
    finally:
        beat.stop()
    clients.ran.add("beat")
    # When beat sent (its own log), not when a busy worker ran: every second, never in a
    # burst, no two sends of a 1 s schedule less than half a second apart.
    sends = [
        datetime.strptime(match, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for match in SENT.findall(beat.log.read_text(errors="replace"))
    ]
    assert len(sends) >= 3, f"beat logged {len(sends)} sends of tests.tick\n{beat.tail()}"
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert all(gap > 0.5 for gap in gaps), gaps
    # The estate's readiness probe tests this file (shelve may add a suffix of its dbm module).
    assert list(schedule.parent.glob(f"{schedule.name}*")), "beat kept no schedule file"


# The test observer's own commands (tests/datastores/servers.py), not the clients'.
OBSERVER_COMMANDS = {"acl|log", "info"}


def test_the_grants_are_exactly_what_the_clients_send(
    clients: Clients, broker: Redis, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """INFO commandstats counts every command since the server started, the ones Lua scripts
    call included, and rejected_calls counts each refusal even when a client swallows it.
    Every command the clients sent must be granted and never refused; every grant must have
    been sent, or be one of the rare ones whose path the scenarios do not reach. The audit
    needs every scenario behind it, in whatever order the tests ran (--random-order, -k):
    the ones that have not run yet on this broker run here first."""
    scenarios = {
        "task_and_result": test_a_task_and_its_result,
        "countdown_and_eta": test_countdown_and_eta,
        "retries": test_retries,
        "group_and_chord": test_group_and_chord,
        "revoke": test_revoke_a_running_and_a_waiting_task,
        "lock": test_redis_py_lock,
        "restore": test_acks_late_task_of_a_killed_worker_is_restored,
        "probe": test_the_estates_worker_probe_pings_the_worker,
    }
    assert set(scenarios) | {"beat"} == clients.EVERYTHING
    for name, scenario in scenarios.items():
        if name not in clients.ran:
            scenario(clients)
    if "beat" not in clients.ran:
        test_beat_sends_its_schedule_on_time(clients, tmp_path_factory)
    assert clients.ran_everything, sorted(clients.EVERYTHING - clients.ran)
    stats = command_stats(broker)
    sent = {
        command
        for command, counts in stats.items()
        if counts["calls"] + counts["rejected_calls"]
        > clients.baseline.get(command, {}).get("calls", 0)
        + clients.baseline.get(command, {}).get("rejected_calls", 0)
    } - OBSERVER_COMMANDS
    refused = {
        command: counts["rejected_calls"]
        for command, counts in stats.items()
        if counts["rejected_calls"] > clients.baseline.get(command, {}).get("rejected_calls", 0)
    }
    assert not refused, f"the broker refused the clients: {refused}\n{acl_log(broker)}"
    assert sent - set(REDIS_APP_COMMANDS) == set(), "sent but not granted"
    assert set(REDIS_APP_RARE) <= set(REDIS_APP_COMMANDS), "a rare command that is not granted"
    never_sent = set(REDIS_APP_COMMANDS) - sent
    assert never_sent <= set(REDIS_APP_RARE), (
        f"granted, never sent, no reason in REDIS_APP_RARE: {never_sent - set(REDIS_APP_RARE)}"
    )
