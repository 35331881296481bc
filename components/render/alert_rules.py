"""Alert groups -> Prometheus rule files (one file per group), as text."""

from __future__ import annotations

from typing import Any

from components.config.estate import EstateConfig
from components.config.monitoring import AlertRule
from components.render.quoting import go_template_text
from components.render.yaml_text import dump_yaml

from .alerts import alert_groups


def runbook_url(base: str, runbook: str) -> str:
    return f"{base.rstrip('/')}/{runbook}"


def rule_dict(rule: AlertRule, runbook_base: str, key: str) -> dict[str, Any]:
    """Prometheus expands every label and annotation value of an alerting rule as a Go
    template. Summary and description are templates by design ({{ $value }}); the labels
    and the runbook URL are data, quoted so that `{{` in them is printed, never run."""
    body: dict[str, Any] = {"alert": rule.alert, "expr": rule.expr}
    if rule.for_ is not None:
        body["for"] = rule.for_
    labels = {name: go_template_text(value, f"{key}.labels.{name}") for name, value in rule.labels.items()}
    body["labels"] = {**labels, "severity": rule.severity}
    body["annotations"] = {
        "summary": rule.summary,
        "description": rule.description,
        "runbook_url": go_template_text(
            runbook_url(runbook_base, rule.runbook), "monitoring.alerts.runbookBaseUrl"
        ),
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
                    "rules": [
                        rule_dict(
                            rule, spec.alerts.runbook_base_url, f"monitoring.alerts.extraGroups.{group}[{i}]"
                        )
                        for i, rule in enumerate(rules)
                    ],
                }
            ]
        }
        files[f"{group}.yml"] = dump_yaml(document)
    return files
