"""The monitoring config model: production defaults, and bad input refused by key."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.config.monitoring import duration_seconds


def problems(monitoring: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_estate({"monitoring": monitoring})
    return str(raised.value)


def test_production_defaults() -> None:
    spec = parse_estate({}).monitoring
    assert spec.jobs["api"].interval == "10s"
    assert spec.nodes.interval == "30s"
    assert "go_gc_.*" in spec.dropped_metrics
    assert spec.prometheus.retention == "15d"
    assert spec.alertmanager.pagerduty_enabled


@pytest.mark.parametrize(
    ("text", "seconds"), [("10s", 10), ("1h30m", 5400), ("15d", 15 * 86400), ("500ms", 0.5), ("1w", 604800)]
)
def test_duration(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_interval_that_is_not_a_duration() -> None:
    message = problems({"jobs": {"api": {"workload": "api", "port": "metrics", "interval": "10 seconds"}}})
    assert "shiksha-setu:monitoring.jobs.api.interval: got '10 seconds'" in message
    assert "Prometheus duration" in message


@pytest.mark.parametrize("bad", ["10", "s", "1m1h", "-5s", "0s", ""])
def test_other_bad_durations(bad: str) -> None:
    assert "shiksha-setu:monitoring.prometheus.retention: got" in problems({"prometheus": {"retention": bad}})


def test_alert_without_runbook() -> None:
    rule = {"alert": "Custom", "expr": "up == 0", "severity": "warning", "summary": "s", "description": "d"}
    message = problems({"alerts": {"extraGroups": {"custom": [rule]}}})
    assert "shiksha-setu:monitoring.alerts.extraGroups.custom[0].runbook: required key is missing" in message


def test_alert_with_unknown_severity() -> None:
    rule = {
        "alert": "Custom",
        "expr": "up == 0",
        "severity": "page",
        "summary": "s",
        "description": "d",
        "runbook": "r",
    }
    message = problems({"alerts": {"extraGroups": {"custom": [rule]}}})
    assert "shiksha-setu:monitoring.alerts.extraGroups.custom[0].severity: got 'page'" in message


def test_receiver_referenced_but_undefined() -> None:
    message = problems({"alertmanager": {"routes": [{"severity": "critical", "receiver": "oncall"}]}})
    assert "shiksha-setu:monitoring.alertmanager" in message
    assert "routes[0].receiver: got 'oncall': names no receiver" in message


def test_default_receiver_undefined() -> None:
    assert "defaultReceiver: got 'nobody'" in problems({"alertmanager": {"defaultReceiver": "nobody"}})


def test_mute_interval_referenced_but_undefined() -> None:
    route = {"severity": "warning", "receiver": "platform-warnings", "muteIntervals": ["holidays"]}
    assert "routes[0].muteIntervals: got 'holidays'" in problems({"alertmanager": {"routes": [route]}})


def test_mute_interval_with_impossible_time() -> None:
    window = {"times": [{"startTime": "25:00", "endTime": "26:00"}]}
    message = problems({"alertmanager": {"muteIntervals": {"maintenance": [window]}}})
    assert (
        "shiksha-setu:monitoring.alertmanager.muteIntervals.maintenance[0].times[0].startTime: got '25:00'"
        in message
    )


def test_mute_interval_ending_before_it_starts() -> None:
    window = {"times": [{"startTime": "04:00", "endTime": "02:00"}]}
    message = problems({"alertmanager": {"muteIntervals": {"maintenance": [window]}}})
    assert "shiksha-setu:monitoring.alertmanager.muteIntervals.maintenance[0].times[0]" in message
    assert "startTime 04:00 is not before endTime 02:00" in message


def test_mute_interval_with_backwards_weekdays() -> None:
    window = {"weekdays": ["friday:monday"]}
    message = problems({"alertmanager": {"muteIntervals": {"maintenance": [window]}}})
    assert "muteIntervals.maintenance[0].weekdays[0]: got 'friday:monday'" in message


def test_unknown_key_is_refused() -> None:
    assert "shiksha-setu:monitoring.scrapeIntervall: unknown key" in problems({"scrapeIntervall": "10s"})


def test_bad_dropped_metric_regex() -> None:
    assert "shiksha-setu:monitoring.droppedMetrics[0]: got 'go_gc_(.*'" in problems(
        {"droppedMetrics": ["go_gc_(.*"]}
    )


def test_retention_size_must_fit_the_volume() -> None:
    message = problems({"prometheus": {"retentionSize": "60GB", "storageSize": "50Gi"}})
    assert "retentionSize 60GB must be smaller than storageSize 50Gi" in message


def test_blackbox_target_with_unknown_module() -> None:
    message = problems(
        {"blackbox": {"targets": {"x": {"url": "https://a.example.org/", "module": "tcp_connect"}}}}
    )
    assert "targets.x.module: got 'tcp_connect'" in message


def test_scrape_job_for_unknown_port_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_estate({"monitoring": {"jobs": {"api": {"workload": "api", "port": "grpc"}}}})
    assert refused.value.problems == [
        "shiksha-setu:monitoring.jobs.api.port: got 'grpc': workload 'api' has no such port "
        "(ports: ['http', 'metrics'])"
    ]
