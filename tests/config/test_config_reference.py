"""docs/config-reference.md is generated from the model (tools/config_reference.py): the
page on disk is what the model says now, and it tells a newcomer what the issue missed."""

from __future__ import annotations

import re

import pytest

from components.config.estate import EstateConfig
from components.config.workloads import WorkloadSpec
from tools import config_reference

# The models a newcomer writes first (a workload, a route, an alert rule, a network rule):
# each key says what it changes, in the model itself.
DESCRIBED = ("WorkloadSpec", "RouteTarget", "AlertRule", "IntentRule", "RuleTarget", "ProbeSpec")


@pytest.fixture(scope="module")
def page() -> str:
    return config_reference.render()


def test_the_page_on_disk_is_the_model(page: str) -> None:
    on_disk = config_reference.PAGE.read_text()
    assert on_disk == page, "docs/config-reference.md differs from the model: run `make config-reference`"


def test_the_check_mode_fails_on_a_stale_page(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "config-reference.md"
    stale.write_text(config_reference.PAGE.read_text().replace("| `replicas` |", "| `replica` |"))
    monkeypatch.setattr(config_reference, "PAGE", stale)
    monkeypatch.setattr(config_reference, "ROOT", tmp_path)
    assert config_reference.main(["--check"]) == 1


def _section(page: str, model: str) -> str:
    found = re.search(rf"^## {model}\n(.*?)(?=^## |\Z)", page, flags=re.MULTILINE | re.DOTALL)
    assert found is not None, f"no section {model}"
    return found.group(1)


def test_every_key_of_the_tree_has_its_row(page: str) -> None:
    top = _section(page, "EstateConfig")
    for name, field in EstateConfig.model_fields.items():
        assert f"| `{field.alias or name}` |" in top
    workload = _section(page, "WorkloadSpec")
    for name, field in WorkloadSpec.model_fields.items():
        assert f"| `{field.alias or name}` |" in workload


def test_the_defaults_a_newcomer_must_not_restate_are_shown(page: str) -> None:
    routes = next(line for line in _section(page, "EdgeSpec").splitlines() if line.startswith("| `routes` |"))
    for path in ("/api", "/ws", "/"):
        assert f'"{path}"' in routes, routes
    workloads = next(
        line for line in _section(page, "EstateConfig").splitlines() if line.startswith("| `workloads` |")
    )
    assert "`api`" in workloads and "`redis-cache`" in workloads
    assert "| `image` | DnsLabel | required |" in _section(page, "WorkloadSpec")


@pytest.mark.parametrize("model", DESCRIBED)
def test_each_key_a_newcomer_writes_says_what_it_changes(page: str, model: str) -> None:
    rows = [line for line in _section(page, model).splitlines() if line.startswith("| `")]
    assert rows
    empty = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    assert empty == [], f"{model}: keys without a description: {empty}"
