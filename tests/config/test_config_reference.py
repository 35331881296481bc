"""docs/config-reference.md is generated from the model (tools/config_reference.py): the
page on disk is what the model says now, and it tells a newcomer what the issue missed."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from components.config.base import StrictModel
from components.config.estate import EstateConfig
from components.config.workloads import WorkloadSpec
from tools import config_reference


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


def undescribed(models: list[type[BaseModel]]) -> tuple[set[str], set[str]]:
    """(fields of the config model without a description, those of the datastore modules)."""
    config, datastores = set(), set()
    for model in models:
        for name, field in model.model_fields.items():
            if (field.description or "").strip():
                continue
            owner = config_reference.declared_in(model, name).__module__
            (datastores if owner.startswith("components.datastores.") else config).add(
                f"{model.__name__}.{name}"
            )
    return config, datastores


def test_every_key_says_what_it_changes() -> None:
    config, datastores = undescribed([model for model, _ in config_reference.tree()])
    assert config == set(), f"fields of components/config/ without description=: {sorted(config)}"
    assert datastores == set(), f"fields of components/datastores/ without description=: {sorted(datastores)}"


def test_the_datastore_settings_are_in_the_tree() -> None:
    # Guards the check above: were the datastore leaves to drop out of the walk, it would pass
    # with nothing to check.
    owners = {
        config_reference.declared_in(model, name).__module__
        for model, _ in config_reference.tree()
        for name in model.model_fields
    }
    assert {"components.datastores.postgres.settings", "components.datastores.redis.settings"} <= owners


def test_a_field_without_a_description_is_found() -> None:
    class Planted(StrictModel):
        described: int = Field(0, description="what it changes")
        bare: int = 0
        blank: int = Field(0, description="  ")

    assert undescribed([Planted]) == ({"Planted.bare", "Planted.blank"}, set())

    class PlantedLeaf(StrictModel):
        __module__ = "components.datastores.planted.settings"
        bare: int = 0

    assert undescribed([PlantedLeaf]) == (set(), {"PlantedLeaf.bare"})


def test_every_row_of_the_page_says_what_it_changes(page: str) -> None:
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    empty = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    assert len(rows) > 350 and empty == [], empty


def test_every_row_has_an_example(page: str) -> None:
    rows = [line.split(" | ") for line in page.splitlines() if line.startswith("| `")]
    without = [row[0].removeprefix("| ") for row in rows if not row[3].strip()]
    assert without == [], without


@pytest.mark.parametrize("model", [model for model, _ in config_reference.tree()], ids=lambda m: m.__name__)
def test_each_example_is_a_value_the_model_accepts(model: type[BaseModel]) -> None:
    hints = typing.get_type_hints(model, include_extras=True)
    for name, field in model.model_fields.items():
        for example in field.examples or []:
            # A null in a map removes a default entry: the merge's, not the field's, value.
            value = (
                {k: v for k, v in example.items() if v is not None} if isinstance(example, dict) else example
            )
            try:
                TypeAdapter(hints[name]).validate_python(value)
            except ValidationError as error:
                pytest.fail(f"{model.__name__}.{name}: example {example!r} is refused: {error}")
