"""Inhibition and delivery, proven on a real Alertmanager.

amtool can test routes but not inhibition, so this starts the Debian
`prometheus-alertmanager` on loopback with the generated config, posts alerts through its
API v2 and reads back which ones it suppresses. Only addresses change: PagerDuty's and the
webhook's URLs point at an endpoint the test serves (no traffic leaves the machine), and
`routing_key_file` at a temporary file standing in for the mounted Secret.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.loader import parse_estate

from .conftest import Rendered, free_port, render_to, require_tool
from .servers import LocalEndpoint, deliver_to, get_json, local_endpoint, post_json, running, wait_for

pytestmark = [pytest.mark.amtool, pytest.mark.slow]

ROUTING_KEY = "pd-test-routing-key-from-file-3c9a"


def _alert(name: str, severity: str, namespace: str, runbook: str | None) -> dict[str, Any]:
    annotations = {"summary": f"{name} test", "description": "posted by the test"}
    if runbook:
        annotations["runbook_url"] = runbook
    return {
        "labels": {"alertname": name, "severity": severity, "namespace": namespace},
        "annotations": annotations,
    }


@contextmanager
def alertmanager(rendered: Rendered, tmp_path: Path, receiver: LocalEndpoint) -> Iterator[str]:
    """Starts the generated config with delivery pointed at `receiver`; yields the API URL."""
    binary = require_tool("prometheus-alertmanager")
    key_file = tmp_path / "routing-key"
    key_file.write_text(ROUTING_KEY)
    config = yaml.safe_load(rendered.alertmanager_yml.read_text())
    deliver_to(config, receiver, key_file)
    rendered.alertmanager_yml.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v2"
    log = tmp_path / "alertmanager.log"
    command = [
        binary,
        f"--config.file={rendered.alertmanager_yml}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with running(command, log):
        wait_for("alertmanager ready", lambda: get_json(f"{api}/status"), 30, log)
        yield api


def statuses(api: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (a["labels"]["alertname"], a["labels"]["severity"], a["labels"]["namespace"]): a["status"]
        for a in get_json(f"{api}/alerts")
    }


def test_inhibition_and_pagerduty_delivery(rendered: Rendered, tmp_path: Path) -> None:
    base = rendered.config.monitoring.alerts.runbook_base_url
    ns = rendered.config.namespace.name
    with local_endpoint("") as receiver, alertmanager(rendered, tmp_path, receiver) as api:
        tls_runbook = f"{base}/tls-certificate-expiry"
        posted = [
            _alert("TLSCertificateExpiringSoon", "critical", ns, tls_runbook),
            _alert("TLSCertificateExpiringSoon", "warning", ns, tls_runbook),
            # Controls: same namespace other alertname, same alertname other namespace.
            _alert("HighTaskQueueDepth", "warning", ns, f"{base}/high-task-queue-depth"),
            _alert("TLSCertificateExpiringSoon", "warning", "elsewhere", tls_runbook),
            # No runbook_url: the template's default link must be used.
            _alert("UnannotatedCritical", "critical", ns, None),
        ]
        assert post_json(f"{api}/alerts", posted) == 200

        def settled() -> dict[tuple[str, str, str], dict[str, Any]] | None:
            found = statuses(api)
            if len(found) != len(posted):
                return None
            inhibited = found[("TLSCertificateExpiringSoon", "warning", ns)]["state"] == "suppressed"
            return found if inhibited else None

        status = wait_for("the warning to be inhibited", settled, 30)
        assert status[("TLSCertificateExpiringSoon", "warning", ns)]["inhibitedBy"]
        assert status[("TLSCertificateExpiringSoon", "critical", ns)]["state"] == "active"
        assert status[("HighTaskQueueDepth", "warning", ns)]["state"] == "active"
        assert status[("TLSCertificateExpiringSoon", "warning", "elsewhere")]["state"] == "active"

        # Critical alerts page (group_wait 10s): the key comes from the file, and every
        # page links a runbook, the alert's own or the template's default.
        def pages() -> list[Any] | None:
            found = [body for path, body in receiver.posts if path == "/pagerduty"]
            return found if len(found) >= 2 else None

        sent = wait_for("two PagerDuty events", pages, 40)
        by_alert = {page["payload"]["summary"].split(" ")[1]: page for page in sent}
        assert set(by_alert) == {"TLSCertificateExpiringSoon", "UnannotatedCritical"}
        for page in sent:
            assert page["routing_key"] == ROUTING_KEY
            assert page["event_action"] == "trigger"
            assert page["payload"]["severity"] == "critical"
        assert by_alert["TLSCertificateExpiringSoon"]["links"][0]["href"] == tls_runbook
        assert by_alert["UnannotatedCritical"]["links"][0]["href"] == f"{base}/index"


def test_without_the_inhibition_rule_the_warning_stays_active(tmp_path: Path) -> None:
    """The check above can fail: the same alerts with no inhibit rule are both active."""
    config = parse_estate({"monitoring": {"alertmanager": {"inhibitRules": []}}})
    rendered = render_to(tmp_path / "rendered", config)
    ns = config.namespace.name
    with local_endpoint("") as receiver, alertmanager(rendered, tmp_path, receiver) as api:
        posted = [
            _alert("TLSCertificateExpiringSoon", "critical", ns, None),
            _alert("TLSCertificateExpiringSoon", "warning", ns, None),
        ]
        assert post_json(f"{api}/alerts", posted) == 200
        wait_for("both alerts", lambda: len(statuses(api)) == 2, 30)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert statuses(api)[("TLSCertificateExpiringSoon", "warning", ns)]["state"] == "active"
            time.sleep(0.5)


@pytest.mark.parametrize("muted", [True, False], ids=["inside-window", "no-window"])
def test_maintenance_window_mutes_warnings_but_not_pages(tmp_path: Path, muted: bool) -> None:
    """A window covering the whole day, so "now" is inside it; short group waits (config,
    not test plumbing) so delivery is observable in seconds."""
    window = [{"times": [{"startTime": "00:00", "endTime": "24:00"}], "location": "UTC"}]
    routes = [
        {"severity": "critical", "receiver": "pagerduty-critical", "groupWait": "1s"},
        {
            "severity": "warning",
            "receiver": "platform-warnings",
            "groupWait": "1s",
            "muteIntervals": ["maintenance"] if muted else [],
        },
    ]
    config = parse_estate(
        {"monitoring": {"alertmanager": {"muteIntervals": {"maintenance": window}, "routes": routes}}}
    )
    rendered = render_to(tmp_path / "rendered", config)
    ns = config.namespace.name
    with local_endpoint("") as receiver, alertmanager(rendered, tmp_path, receiver) as api:
        posted = [
            _alert("PostgresDown", "critical", ns, None),
            _alert("HighTaskQueueDepth", "warning", ns, None),
        ]
        assert post_json(f"{api}/alerts", posted) == 200
        wait_for("the page", lambda: [p for p, _ in receiver.posts if p == "/pagerduty"], 30)
        if muted:
            # The page went out; give the warning the same chance, and more, to not arrive.
            time.sleep(4)
            assert [p for p, _ in receiver.posts if p.startswith("/webhook/")] == []
        else:
            wait_for("the warning", lambda: [p for p, _ in receiver.posts if p.startswith("/webhook/")], 30)
