"""The base model every part of the estate's configuration derives from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class StrictModel(BaseModel):
    """Stack config uses Pulumi's camelCase keys; unknown keys are errors, never ignored.

    Python code builds models by field name; the loader validates stack config by alias
    only, so a snake_case twin (`connects_to`) is refused there. No float is NaN or
    infinite. The value kinds themselves live in types.py."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
        str_strip_whitespace=False,
        allow_inf_nan=False,
    )


def fold_additions(model: type[BaseModel], data: Any, field: str) -> Any:
    """The list at `field` (a stack value, else the model's default) with `<field>Add`
    appended and `<field>Remove` taken out; the two are left empty, so the model (and the
    effective config) holds one list. For lists a stack extends, where restating the list
    would risk dropping a default entry (docs/configuration.md, "Adding to the defaults")."""
    if not isinstance(data, dict):
        return data
    fields = model.model_fields
    key, add, remove = (fields[name].alias or name for name in (field, f"{field}_add", f"{field}_remove"))
    added, removed = data.get(add) or [], data.get(remove) or []
    if not added and not removed:
        return data
    current = data[key] if key in data else fields[field].get_default(call_default_factory=True)
    if not all(isinstance(v, list) for v in (added, removed, current)):
        return data  # the field checks say what is wrong
    absent = [n for n in removed if n not in current]
    if absent:
        raise ValueError(f"{remove}: {absent} are not in {key} {current}")
    twice = [n for n in added if n in current and n not in removed]
    if twice:
        raise ValueError(f"{add}: {twice} are already in {key} {current}")
    return {**data, key: [n for n in current if n not in removed] + list(added), add: [], remove: []}


def added_to(key: str, example: list[Any]) -> Any:
    """The `<key>Add` field of a list a stack extends (folded by fold_additions)."""
    return Field(
        default_factory=list, description=f"appended to {key} (its defaults kept)", examples=[example]
    )


def taken_from(key: str, example: list[Any], what: str = "the one way to drop a default entry") -> Any:
    """The `<key>Remove` field of a list a stack extends (folded by fold_additions)."""
    return Field(default_factory=list, description=f"taken out of {key}: {what}", examples=[example])
