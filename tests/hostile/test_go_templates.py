"""Hostile values for what Alertmanager and Prometheus read as Go templates (the
notification template, alerting rules' labels and annotations) and for the URLs of their
YAML files: each is refused by the model (key named, nothing registered), or rendered and
proven literal by amtool and promtool."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.estate import EstateConfig
from components.render.quoting import UnquotableError, go_template_text
from tests.monitoring.conftest import Rendered, render_to
from tests.monitoring.discovery import as_static, with_serviceaccount
from tests.support.tools import require_tool

from .hostile import HOSTILE, accepted, refusal

pytestmark = [pytest.mark.amtool, pytest.mark.promtool]

RUNBOOKS = "https://runbooks.example.org/"
# An alert with no runbook_url annotation: the notification template's default link.
NO_RUNBOOK = {
    "receiver": "info-log",
    "status": "firing",
    "alerts": [],
    "groupLabels": {},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
}


def run(tool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([require_tool(tool), *args], capture_output=True, cwd=cwd, timeout=120)


def amtool_render(templates: Path, text: str, tmp_path: Path) -> bytes:
    data = tmp_path / "data.json"
    data.write_text(json.dumps(NO_RUNBOOK))
    result = run(
        "amtool",
        "template",
        "render",
        f"--template.glob={templates}/*.tmpl",
        f"--template.text={text}",
        f"--template.data={data}",
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_go_template_text_renders_exactly(hostile: str, tmp_path: Path) -> None:
    """The quoting function against Go's template engine (amtool): `{{ ... }}` is printed,
    never run, and every other character comes back as it went in."""
    value = HOSTILE[hostile]
    templates = tmp_path / "templates"
    templates.mkdir()
    # Text after the value: a trailing "{" must not join it into an action.
    (templates / "v.tmpl").write_text(
        '{{ define "v" }}' + go_template_text(value, "test.value") + "{{ end }}", encoding="utf-8"
    )
    assert amtool_render(templates, '{{ template "v" . }}', tmp_path) == value.encode()


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(UnquotableError, match=r"test\.value"):
        go_template_text("{\ud800", "test.value")


def _rendered(config: EstateConfig, tmp_path: Path) -> Rendered:
    return render_to(tmp_path / "rendered", config)


def _check_prometheus(rendered: Rendered, tmp_path: Path) -> None:
    """promtool check config (with the rule files), discovery made static where this
    promtool has none."""
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("stand-in")
    (account / "ca.crt").write_text("stand-in")
    config = with_serviceaccount(yaml.safe_load(rendered.prometheus_yml.read_text()), str(account))
    probe = tmp_path / "sd.yml"
    probe.write_text("scrape_configs:\n- job_name: p\n  kubernetes_sd_configs: [{role: endpointslice}]\n")
    if run("promtool", "check", "config", "--syntax-only", str(probe)).returncode != 0:
        config = as_static(config, {}, "127.0.0.1:9", rendered.config.namespace.name)
    checked = rendered.prometheus_yml.with_name("checked.yml")
    checked.write_text(yaml.safe_dump(config, sort_keys=False))
    result = run("promtool", "check", "config", str(checked))
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


def _check_alertmanager(rendered: Rendered) -> None:
    result = run("amtool", "check-config", str(rendered.alertmanager_yml))
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


def _hostile_rule(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "alert": "HostileValue",
        "expr": "vector(1)",
        "severity": "info",
        "summary": "s",
        "description": "d",
        "runbook": "hostile-value",
        "labels": labels,
    }


def _promtool_unit_test(
    rendered: Rendered, labels: dict[str, str], runbook_url: str
) -> subprocess.CompletedProcess[bytes]:
    """The alert fires with exactly these labels and this runbook_url, as Prometheus
    expands them."""
    test = {
        "rule_files": ["rules/hostile.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [],
                "alert_rule_test": [
                    {
                        "eval_time": "1m",
                        "alertname": "HostileValue",
                        "exp_alerts": [
                            {
                                # Prometheus drops a label whose value is empty.
                                "exp_labels": {**{k: v for k, v in labels.items() if v}, "severity": "info"},
                                "exp_annotations": {
                                    "summary": "s",
                                    "description": "d",
                                    "runbook_url": runbook_url,
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = rendered.rules_dir.parent / "hostile-test.yml"
    # Escaped, not raw: YAML reads a raw U+0085 as a line break.
    path.write_text(yaml.safe_dump(test))
    return run("promtool", "test", "rules", path.name, cwd=path.parent)


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_runbook_base_url(hostile: str, tmp_path: Path) -> None:
    value = HOSTILE[hostile]
    values = {
        "monitoring": {
            "alerts": {
                "runbookBaseUrl": RUNBOOKS + value,
                "extraGroups": {"hostile": [_hostile_rule({})]},
            }
        }
    }
    if refusal(values, "monitoring.alerts.runbookBaseUrl") is not None:
        return
    config = accepted(values)
    rendered = _rendered(config, tmp_path)
    _check_alertmanager(rendered)
    _check_prometheus(rendered, tmp_path)
    base = (RUNBOOKS + value).rstrip("/")
    page = amtool_render(
        rendered.root / "alertmanager" / "templates", '{{ template "shiksha.runbook" . }}', tmp_path
    )
    assert page == f"{base}/index".encode()
    result = _promtool_unit_test(rendered, {}, f"{base}/hostile-value")
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_extra_rule_label_value(hostile: str, tmp_path: Path) -> None:
    """Prometheus expands alerting rules' label values as templates: a label value is data."""
    value = HOSTILE[hostile]
    values = {"monitoring": {"alerts": {"extraGroups": {"hostile": [_hostile_rule({"team": value})]}}}}
    if refusal(values, "monitoring.alerts.extraGroups.hostile[0].labels.team") is not None:
        return
    config = accepted(values)
    rendered = _rendered(config, tmp_path)
    check = run("promtool", "check", "rules", str(rendered.rules_dir / "hostile.yml"))
    assert check.returncode == 0, (check.stdout + check.stderr).decode()
    runbook = config.monitoring.alerts.runbook_base_url.rstrip("/") + "/hostile-value"
    result = _promtool_unit_test(rendered, {"team": value}, runbook)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


@pytest.mark.parametrize(
    "key",
    [
        "monitoring.alertmanager.receivers.platform-warnings.webhook.url",
        "monitoring.blackbox.targets.public-site.url",
    ],
)
@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_urls_in_monitoring_files(key: str, hostile: str, tmp_path: Path) -> None:
    value = HOSTILE[hostile]
    url = "https://hooks.example.org/alerts/" + value
    if "webhook" in key:
        receivers = {
            "pagerduty-critical": {"pagerduty": {}},
            "platform-warnings": {"webhook": {"url": url}},
            "info-log": {},
        }
        values: dict[str, Any] = {"monitoring": {"alertmanager": {"receivers": receivers}}}
    else:
        target = {"url": url, "module": "https_2xx"}
        values = {"monitoring": {"blackbox": {"targets": {"public-site": target}}}}
    if refusal(values, key) is not None:
        return
    rendered = _rendered(accepted(values), tmp_path)
    _check_alertmanager(rendered)
    _check_prometheus(rendered, tmp_path)


@pytest.mark.parametrize(
    ("key", "values"),
    [
        # The sample: Alertmanager would have run this.
        (
            "monitoring.alerts.runbookBaseUrl",
            {
                "monitoring": {
                    "alerts": {"runbookBaseUrl": 'https://r.example.org/{{ template "shiksha.title" . }}'}
                }
            },
        ),
        (
            "monitoring.alerts.runbookBaseUrl",
            {"monitoring": {"alerts": {"runbookBaseUrl": "https://r.example.org/\n"}}},
        ),
        (
            "monitoring.alerts.runbookBaseUrl",
            {"monitoring": {"alerts": {"runbookBaseUrl": "https://r.example.org:\uff18\uff10/"}}},
        ),
        (
            "monitoring.alerts.runbookBaseUrl",
            {"monitoring": {"alerts": {"runbookBaseUrl": "javascript:alert(1)"}}},
        ),
        ("monitoring.jobs.api.path", {"monitoring": {"jobs": {"api": {"path": "/metrics?x={{ .X }}"}}}}),
        (
            "monitoring.blackbox.modules.http_2xx.validStatusCodes[0]",
            {"monitoring": {"blackbox": {"modules": {"http_2xx": {"validStatusCodes": [99999]}}}}},
        ),
        ("monitoring.blackbox", {"monitoring": {"blackbox": {"modules": {"bad\n": {}}}}}),
    ],
)
def test_refused_naming_the_key(key: str, values: dict[str, Any]) -> None:
    assert refusal(values, key) is not None


def test_template_in_the_runbook_url_is_printed_when_the_model_is_bypassed(tmp_path: Path) -> None:
    """Defence in depth: a base URL that skipped the model (model_construct) is still data."""
    payload = 'https://r.example.org/{{ printf "%s" "executed" }}'
    config = accepted({})
    alerts = config.monitoring.alerts.model_construct(
        **{**dict(config.monitoring.alerts), "runbook_base_url": payload}
    )
    monitoring = config.monitoring.model_copy(update={"alerts": alerts})
    rendered = _rendered(config.model_copy(update={"monitoring": monitoring}), tmp_path)
    page = amtool_render(
        rendered.root / "alertmanager" / "templates", '{{ template "shiksha.runbook" . }}', tmp_path
    )
    assert page == f"{payload}/index".encode()
