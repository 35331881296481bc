"""The generated alertmanager.yml, judged by amtool: it loads, and the route tree sends
each severity to the receiver the config says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.config.loader import parse_estate

from .conftest import Rendered, render_to, require_tool

pytestmark = pytest.mark.amtool


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("amtool"), *args], capture_output=True, text=True, timeout=60)


def route_test(rendered: Rendered, expected: str, *labels: str) -> subprocess.CompletedProcess[str]:
    return amtool(
        "config",
        "routes",
        "test",
        f"--config.file={rendered.alertmanager_yml}",
        f"--verify.receivers={expected}",
        *labels,
    )


def test_check_config(rendered: Rendered) -> None:
    result = amtool("check-config", str(rendered.alertmanager_yml))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    # The notification template was found and parsed, not silently skipped.
    assert "1 templates" in result.stdout


def test_check_config_refuses_an_undefined_receiver(rendered: Rendered) -> None:
    config = yaml.safe_load(rendered.alertmanager_yml.read_text())
    config["route"]["routes"][0]["receiver"] = "nobody"
    rendered.alertmanager_yml.write_text(yaml.safe_dump(config))
    assert amtool("check-config", str(rendered.alertmanager_yml)).returncode != 0


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (
            ("alertname=APIHighErrorRatio", "severity=critical", "namespace=shiksha-setu"),
            "pagerduty-critical",
        ),
        (("alertname=TLSCertificateExpiringSoon", "severity=critical"), "pagerduty-critical"),
        (("alertname=HighTaskQueueDepth", "severity=warning", "namespace=shiksha-setu"), "platform-warnings"),
        (("alertname=EndpointProbeSlow", "severity=info"), "info-log"),
        # Anything without a known severity still reaches people.
        (("alertname=Unlabelled",), "platform-warnings"),
    ],
)
def test_routes(rendered: Rendered, labels: tuple[str, ...], receiver: str) -> None:
    result = route_test(rendered, receiver, *labels)
    assert result.returncode == 0, result.stdout + result.stderr


def test_route_test_can_fail(rendered: Rendered) -> None:
    """A warning must not page: asserting it reaches PagerDuty is refused by amtool."""
    result = route_test(rendered, "pagerduty-critical", "alertname=HighTaskQueueDepth", "severity=warning")
    assert result.returncode != 0


def test_routes_follow_the_config(tmp_path: Path) -> None:
    """Routing comes from the config model, not from a fixed file."""
    config = parse_estate(
        {
            "monitoring": {
                "alertmanager": {
                    "routes": [
                        {"severity": "critical", "receiver": "pagerduty-critical"},
                        {"severity": "warning", "receiver": "pagerduty-critical"},
                    ]
                }
            }
        }
    )
    rendered = render_to(tmp_path / "custom", config)
    result = route_test(rendered, "pagerduty-critical", "alertname=HighTaskQueueDepth", "severity=warning")
    assert result.returncode == 0, result.stdout + result.stderr
