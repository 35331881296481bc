"""Alert groups -> Prometheus rule files (one file per group), as text."""

from __future__ import annotations

from typing import Any

from components.config.estate import EstateConfig
from components.config.monitoring import AlertRule
from components.render.yaml_text import dump_yaml

from .alerts import alert_groups


def runbook_url(base: str, runbook: str) -> str:
    return f"{base.rstrip('/')}/{runbook}"


def rule_dict(rule: AlertRule, runbook_base: str) -> dict[str, Any]:
    body: dict[str, Any] = {"alert": rule.alert, "expr": rule.expr}
    if rule.for_ is not None:
        body["for"] = rule.for_
    body["labels"] = {**rule.labels, "severity": rule.severity}
    body["annotations"] = {
        "summary": rule.summary,
        "description": rule.description,
        "runbook_url": runbook_url(runbook_base, rule.runbook),
    }
    return body


def rule_files(config: EstateConfig) -> dict[str, str]:
    """File name (`<group>.yml`) -> its text; also the keys of the rules ConfigMap."""
    spec = config.monitoring
    files = {}
    for group, rules in alert_groups(spec, config.namespace.name).items():
        document = {
            "groups": [
                {
                    "name": group,
                    "rules": [rule_dict(rule, spec.alerts.runbook_base_url) for rule in rules],
                }
            ]
        }
        files[f"{group}.yml"] = dump_yaml(document)
    return files
