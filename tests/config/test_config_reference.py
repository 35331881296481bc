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

# Fields the datastore modules declare (components/datastores/): their settings are being
# moved into leaf modules (issue 25), so their descriptions are the lead's to add there. The
# list is exact: a new undescribed field fails, and so does an entry that gained one.
DATASTORE_FIELDS_WITHOUT_DESCRIPTION = {
    "EstateConfig.postgres", "EstateConfig.redis", "EstateConfig.redis_cache",
    "ExportersSpec.postgres", "ExportersSpec.redis",
    "MonitoringImages.postgres_exporter", "MonitoringImages.redis_exporter",
    *(f"PostgresSettings.{name}" for name in (
        "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "wal_buffers",
        "max_connections", "superuser_reserved_connections", "max_wal_senders",
        "checkpoint_completion_target", "random_page_cost", "effective_io_concurrency", "max_wal_size",
        "min_wal_size",
    )),
    "RedisCacheSettings.maxmemory", "RedisCacheSettings.maxmemory_policy",
    *(f"RedisSettings.{name}" for name in (
        "maxmemory", "maxmemory_policy", "appendonly", "appendfsync", "save",
    )),
}  # fmt: skip


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
    listed = DATASTORE_FIELDS_WITHOUT_DESCRIPTION
    assert config == set(), f"fields of components/config/ without description=: {sorted(config)}"
    assert datastores == listed, (
        f"datastore fields without a description: new {sorted(datastores - listed)}; "
        f"described now, drop them from the list: {sorted(listed - datastores)}"
    )


def test_a_field_without_a_description_is_found() -> None:
    class Planted(StrictModel):
        described: int = Field(0, description="what it changes")
        bare: int = 0
        blank: int = Field(0, description="  ")

    assert undescribed([Planted]) == ({"Planted.bare", "Planted.blank"}, set())


def test_every_row_of_the_page_says_what_it_changes(page: str) -> None:
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    empty = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    # The datastore fields fall back to the comment above them; the rest have descriptions.
    assert len(rows) > 350 and len(empty) <= len(DATASTORE_FIELDS_WITHOUT_DESCRIPTION), empty


def test_every_row_has_an_example(page: str) -> None:
    rows = [line.split(" | ") for line in page.splitlines() if line.startswith("| `")]
    without = [row[0].removeprefix("| ") for row in rows if not row[3].strip()]
    # Only the datastore modules' `postgres.pools` (no default, no example: the lead's list).
    assert without == ["`pools`"], without


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
