"""Invariants every generated rule file keeps, whatever the stack config says."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from components.config.estate import EstateConfig
from components.config.loader import parse_estate
from components.render.alert_rules import rule_files


def all_rules(config: EstateConfig) -> list[dict[str, Any]]:
    rules = []
    for text in rule_files(config).values():
        for group in yaml.safe_load(text)["groups"]:
            rules.extend(group["rules"])
    return rules


def test_every_alert_has_severity_summary_description_and_runbook(prod_config: EstateConfig) -> None:
    base = prod_config.monitoring.alerts.runbook_base_url
    rules = all_rules(prod_config)
    assert len(rules) >= 20
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}, rule["alert"]
        assert annotations["runbook_url"].startswith(base + "/"), rule["alert"]


def test_all_three_severities_are_used(prod_config: EstateConfig) -> None:
    assert {r["labels"]["severity"] for r in all_rules(prod_config)} == {"critical", "warning", "info"}


def test_high_task_queue_depth_has_one_set_of_annotations(prod_config: EstateConfig) -> None:
    text = rule_files(prod_config)["task-queue.yml"]
    # Counted in the text too: YAML would silently keep only the last of duplicate keys.
    assert text.count("alert: HighTaskQueueDepth") == 1
    assert text.count("annotations:") == 1
    assert text.count("summary:") == 1 and text.count("description:") == 1


def test_alert_names_are_unique_except_deliberate_severity_pairs(prod_config: EstateConfig) -> None:
    counts = Counter(r["alert"] for r in all_rules(prod_config))
    assert {name for name, n in counts.items() if n > 1} == {"TLSCertificateExpiringSoon"}


def test_runbook_base_url_comes_from_config() -> None:
    config = parse_estate({"monitoring": {"alerts": {"runbookBaseUrl": "https://wiki.example.net/ops/"}}})
    for rule in all_rules(config):
        assert rule["annotations"]["runbook_url"].startswith("https://wiki.example.net/ops/")
        assert "//" not in rule["annotations"]["runbook_url"].removeprefix("https://")


def test_thresholds_and_extra_groups_come_from_config() -> None:
    extra = {
        "alert": "LowSignups",
        "expr": "rate(signups_total[1h]) == 0",
        "for": "2h",
        "severity": "info",
        "summary": "No signups",
        "description": "No new signups for two hours.",
        "runbook": "low-signups",
    }
    config = parse_estate(
        {
            "monitoring": {
                "alerts": {
                    "thresholds": {"taskQueueDepth": 250},
                    "extraGroups": {"growth": [extra]},
                    "disabledGroups": ["ml-pipeline"],
                }
            }
        }
    )
    files = rule_files(config)
    assert "> 250" in files["task-queue.yml"]
    assert "ml-pipeline.yml" not in files
    growth = yaml.safe_load(files["growth.yml"])["groups"][0]["rules"][0]
    assert growth["for"] == "2h" and growth["labels"] == {"severity": "info"}
