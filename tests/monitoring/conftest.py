"""Fixtures for the monitoring tests: the rendered files on disk, and the real tools.

A missing tool skips its tests on a developer machine, but fails them under CI=true:
CI installs every tool (`make setup`), so a missing one there is a broken setup.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.config.estate import EstateConfig
from components.config.loader import parse_estate
from components.config.monitoring import PROMETHEUS
from components.plan.estate import plan
from components.render import alertmanager as am
from components.render.alert_rules import rule_files
from components.render.blackbox import render_blackbox
from tests.support.ports import free_port, free_ports  # noqa: F401 (re-exported for the server tests)

HERE = Path(__file__).parent
RULE_TESTS = HERE / "rule_tests"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian packages prometheus / prometheus-alertmanager; `make setup`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Rendered:
    """The files as the pods see them, laid out the same way relative to each other."""

    root: Path
    config: EstateConfig

    @property
    def prometheus_yml(self) -> Path:
        return self.root / "prometheus" / "config" / "prometheus.yml"

    @property
    def rules_dir(self) -> Path:
        return self.root / "prometheus" / "rules"

    @property
    def alertmanager_yml(self) -> Path:
        return self.root / "alertmanager" / "config" / "alertmanager.yml"

    @property
    def blackbox_yml(self) -> Path:
        return self.root / "blackbox" / "blackbox.yml"


def planned_prometheus_yml(config: EstateConfig) -> str:
    """prometheus.yml as the plan gives it to the Prometheus workload (from its scrape jobs)."""
    [text] = [
        g.files["prometheus.yml"] for g in plan(config).workloads[PROMETHEUS].files if g.name == "config"
    ]
    assert isinstance(text, str)
    return text


def render_to(root: Path, config: EstateConfig) -> Rendered:
    rendered = Rendered(root, config)
    rendered.prometheus_yml.parent.mkdir(parents=True)
    rendered.prometheus_yml.write_text(planned_prometheus_yml(config))
    rendered.rules_dir.mkdir(parents=True)
    for name, text in rule_files(config).items():
        (rendered.rules_dir / name).write_text(text)
    rendered.alertmanager_yml.parent.mkdir(parents=True)
    rendered.alertmanager_yml.write_text(am.render_alertmanager(config.monitoring.alertmanager))
    templates = root / "alertmanager" / "templates"
    templates.mkdir(parents=True)
    (templates / "shiksha.tmpl").write_text(
        am.notification_template(config.monitoring.alerts.runbook_base_url)
    )
    rendered.blackbox_yml.parent.mkdir(parents=True)
    rendered.blackbox_yml.write_text(render_blackbox(config.monitoring.blackbox))
    return rendered


@pytest.fixture
def prod_config() -> EstateConfig:
    return parse_estate({})


@pytest.fixture
def rendered(tmp_path: Path, prod_config: EstateConfig) -> Rendered:
    return render_to(tmp_path / "rendered", prod_config)
