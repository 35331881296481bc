"""A stack value that replaces a default list the model extends (edge.blockedPaths & co.,
components/config/merge.py EXTENDED_LISTS), written the way the gate asks for: a restated
list that drops a default entry is refused, so a test that means "only these" removes the
defaults and adds its own."""

from __future__ import annotations

from typing import Any

from components.config.estate import EstateConfig
from components.config.merge import model_default


def replacing(path: tuple[str, ...], values: list[Any]) -> dict[str, list[Any]]:
    """`{<key>Remove: every default, <key>Add: values}` for the list at `path`, to be placed
    in its parent mapping: the folded list is exactly `values`, in order."""
    key = path[-1]
    forms: dict[str, list[Any]] = {f"{key}Remove": list(model_default(EstateConfig, path))}
    if values:
        forms[f"{key}Add"] = list(values)
    return forms
