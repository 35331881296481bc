"""Real faults on real servers fire the estate's own alerts, delivered along its own routes.

The estate runs as live.py describes: the rendered rules in a real Prometheus (every `for:`
shortened to FOR in the test copy, every expression as rendered), the rendered
alertmanager.yml in a real Alertmanager whose PagerDuty and webhook URLs point at a local
receiver. What differs from prod comes through the stack config: the queue threshold
(`monitoring.alerts.thresholds.taskQueueDepth`), Alertmanager's group waits, the maintenance
window moved off today, and one blackbox probe of a local HTTPS site whose certificate
expires in two days. Then: the certificate (both TLS alerts: the critical pages, the warning
is inhibited), a filled queue (HighTaskQueueDepth pending, then firing, to the warnings
webhook), PostgreSQL stopped (PostgresDown pages), and each exporter given a wrong password
(what docs/monitoring.md's runbook says fires: RedisDown / PostgresDown).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.program import TEST_SECRETS

from .live import Estate, render_estate, self_signed, stack_values, start_estate, tls_site
from .servers import LocalEndpoint, get_json, local_endpoint, wait_for

pytestmark = [pytest.mark.prometheus, pytest.mark.amtool, pytest.mark.slow, pytest.mark.xdist_group("faults")]

FOR = "4s"
QUEUE_THRESHOLD = 50
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture(scope="module")
def receiver() -> Iterator[LocalEndpoint]:
    with local_endpoint("") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory, receiver: LocalEndpoint) -> Iterator[Estate]:
    root = tmp_path_factory.mktemp("faults")
    cert, key = self_signed(root, days=2)
    # The maintenance window mutes warnings on its weekday: put it on a day that is not today.
    other_day = WEEKDAYS[(datetime.datetime.now(datetime.UTC).weekday() + 3) % 7]
    with contextlib.ExitStack() as stack:
        site = stack.enter_context(tls_site(cert, key))
        values = stack_values(
            {
                "shiksha-setu:monitoring": {
                    "alerts": {"thresholds": {"taskQueueDepth": QUEUE_THRESHOLD}},
                    "blackbox": {"targets": {"public-site": {"url": site, "module": "https_2xx"}}},
                    "alertmanager": {
                        "groupWait": "1s",
                        "groupInterval": "2s",
                        "muteIntervals": {
                            "maintenance": [
                                {
                                    "times": [{"startTime": "02:00", "endTime": "04:00"}],
                                    "weekdays": [other_day],
                                }
                            ]
                        },
                    },
                }
            }
        )
        rendered = render_estate(values)
        live = start_estate(stack, root / "estate", rendered, probe_ca=cert, receiver=receiver, rule_for=FOR)
        yield live


def alert_states(estate: Estate, name: str) -> dict[str, dict[str, Any]]:
    """Prometheus's view: severity -> the alert (state pending or firing)."""
    return {a["labels"]["severity"]: a for a in estate.alerts() if a["labels"]["alertname"] == name}


def firing(estate: Estate, name: str, severity: str, timeout: float = 90) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        alert = alert_states(estate, name).get(severity)
        return alert if alert and alert["state"] == "firing" else None

    return dict(
        wait_for(f"{name} ({severity}) firing in Prometheus", check, timeout, estate.logs["prometheus"])
    )


def delivered(receiver: LocalEndpoint, path: str, name: str) -> list[Any]:
    """What Alertmanager posted to `path` that names alert `name` (PagerDuty events carry it
    in their summary, webhooks in each alert's labels)."""
    named = re.compile(rf"\b{name}\b")
    return [body for p, body in receiver.posts if p == path and named.search(json.dumps(body))]


def quiet(estate: Estate, name: str) -> bool:
    return name not in {a["labels"]["alertname"] for a in estate.alerts()}


def settled(estate: Estate) -> None:
    """Waits for the healthy estate: both exporters scraped and answering 1, and the fault
    alerts quiet. Every fault test starts here, so none depends on running after another
    (a wrong-password test run first found RedisDown still firing from absent() at startup,
    value 1, not the exporter's 0)."""
    wait_for(
        "the datastore exporters up",
        lambda: (
            {r["metric"]["job"] for r in estate.query("up == 1")} >= {"redis-exporter", "postgres-exporter"}
        ),
        60,
        estate.logs["prometheus"],
    )
    wait_for("pg_up 1 and redis_up 1", lambda: len(estate.query("pg_up == 1 or redis_up == 1")) == 2, 60)
    # Before the first scrape absent(pg_up) is true: the alerts settle within a few evaluations.
    for name in ("PostgresDown", "RedisDown", "HighTaskQueueDepth"):
        wait_for(f"{name} quiet", lambda name=name: quiet(estate, name), 30, estate.logs["prometheus"])


def test_healthy_estate_fires_none_of_the_fault_alerts(estate: Estate) -> None:
    settled(estate)


def test_expiring_certificate_pages_and_the_warning_is_inhibited(
    estate: Estate, receiver: LocalEndpoint
) -> None:
    critical = firing(estate, "TLSCertificateExpiringSoon", "critical")
    firing(estate, "TLSCertificateExpiringSoon", "warning")
    assert float(critical["value"]) < 3

    def suppressed() -> dict[str, Any] | None:
        found = {
            a["labels"]["severity"]: a
            for a in get_json(f"{estate.alertmanager}/alerts")
            if a["labels"]["alertname"] == "TLSCertificateExpiringSoon"
        }
        warning = found.get("warning")
        return found if warning and warning["status"]["state"] == "suppressed" else None

    found = wait_for("Alertmanager to inhibit the warning", suppressed, 60, estate.logs["alertmanager"])
    assert found["critical"]["status"]["state"] == "active"
    assert found["warning"]["status"]["inhibitedBy"] == [found["critical"]["fingerprint"]]
    # The critical route (group_wait 10s) pages; the warning never reaches the warnings webhook.
    wait_for("the TLS page", lambda: delivered(receiver, "/pagerduty", "TLSCertificateExpiringSoon"), 60)
    pages = delivered(receiver, "/pagerduty", "TLSCertificateExpiringSoon")
    assert pages[0]["routing_key"] == TEST_SECRETS["pagerdutyRoutingKey"]
    assert delivered(receiver, "/webhook/platform-warnings", "TLSCertificateExpiringSoon") == []


def test_filled_queue_makes_high_task_queue_depth_pending_then_warns(
    estate: Estate, receiver: LocalEndpoint
) -> None:
    settled(estate)
    # As Celery's producer would: LPUSH onto the default queue, as the broker's `app` user.
    app = estate.broker.client("app", TEST_SECRETS["redisPassword"])
    app.lpush("celery", *(json.dumps({"task": "add", "id": i}) for i in range(QUEUE_THRESHOLD + 10)))
    seen: set[str] = set()

    def state() -> str | None:
        alert = alert_states(estate, "HighTaskQueueDepth").get("warning")
        if alert:
            seen.add(alert["state"])
        return alert["state"] if alert and alert["state"] == "firing" else None

    wait_for("HighTaskQueueDepth firing", state, 90, estate.logs["prometheus"])
    assert "pending" in seen, f"never seen pending (for: {FOR}): {seen}"
    alert = alert_states(estate, "HighTaskQueueDepth")["warning"]
    assert alert["labels"]["queue_name"] == "celery"
    assert float(alert["value"]) == QUEUE_THRESHOLD + 10
    hooks = wait_for(
        "the warning on the platform-warnings webhook",
        lambda: delivered(receiver, "/webhook/platform-warnings", "HighTaskQueueDepth"),
        60,
    )
    assert hooks[0]["alerts"][0]["labels"]["queue_name"] == "celery"
    assert delivered(receiver, "/pagerduty", "HighTaskQueueDepth") == []
    # Workers drain the queue: the alert resolves.
    app.delete("celery")
    wait_for("HighTaskQueueDepth resolved", lambda: quiet(estate, "HighTaskQueueDepth"), 60)


def test_stopped_postgres_fires_postgres_down(estate: Estate, receiver: LocalEndpoint) -> None:
    settled(estate)
    estate.pg.stop()
    try:
        alert = firing(estate, "PostgresDown", "critical")
        # pg_up == 0 (the exporter answers and reports the server down), not absent(pg_up).
        assert float(alert["value"]) == 0, alert
        wait_for("the PostgresDown page", lambda: delivered(receiver, "/pagerduty", "PostgresDown"), 60)
    finally:
        estate.pg.start()
    wait_for("PostgresDown resolved", lambda: quiet(estate, "PostgresDown"), 60)


@pytest.mark.parametrize(
    ("job", "password_env", "alert", "refusal"),
    [
        ("redis-exporter", "REDIS_PASSWORD", "RedisDown", "WRONGPASS"),
        ("postgres-exporter", "DATA_SOURCE_PASS", "PostgresDown", "password authentication failed"),
    ],
)
def test_exporter_with_a_wrong_password_fires_the_down_alert(
    estate: Estate, receiver: LocalEndpoint, job: str, password_env: str, alert: str, refusal: str
) -> None:
    """docs/monitoring.md's runbook: an exporter that cannot log in reports its server down."""
    settled(estate)
    pages_before = len(delivered(receiver, "/pagerduty", alert))
    correct = estate.commands[job][1][password_env]
    estate.restart(job, **{password_env: "not-the-" + correct})
    try:
        # The exporter answers, and reports its server down: `== 0`, not absent().
        assert float(firing(estate, alert, "critical")["value"]) == 0
        wait_for(
            f"a new {alert} page", lambda: len(delivered(receiver, "/pagerduty", alert)) > pages_before, 60
        )
        log = estate.logs[job].read_text(errors="replace")
        assert refusal in log, log[-2000:]
    finally:
        estate.restart(job, **{password_env: correct})
    wait_for(f"{alert} resolved", lambda: quiet(estate, alert), 60)
