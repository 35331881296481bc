"""`null` in a map keyed by name removes that entry of the defaults.

Stack config is merged over the defaults (defaults.py); in a map whose entries are named
(edge.routes by path, a workload's env and ports, images.pinned), restating the whole map
to drop one entry would be the trap a list is, so a `null` for an entry's key removes it.
A `null` anywhere else is the value None (`autoscaling: null`). A `null` for a name the
defaults do not have removes nothing: it is reported, since it is most likely a typo.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from .errors import child_types, closest, config_key, holds

_NONE = type(None)


def _removals(
    values: Any, base: Any, types: list[Any], path: tuple[Any, ...]
) -> list[tuple[tuple[Any, ...], list[str] | None]]:
    """(path, None) for each null that removes a default entry; (path, the default names)
    for one that names no default entry."""
    found: list[tuple[tuple[Any, ...], list[str] | None]] = []
    if not isinstance(values, dict):
        return found
    keyed = any(typing.get_origin(tp) is dict for tp in types)
    for key, value in values.items():
        following = child_types(types, key)
        if value is None and keyed and _NONE not in following:
            found.append(((*path, key), None if holds(base, key) else sorted(map(str, base or {}))))
        else:
            found += _removals(value, base[key] if holds(base, key) else None, following, (*path, key))
    return found


def apply_removals(
    merged: dict[str, Any], values: dict[str, Any], base: dict[str, Any], root: type[BaseModel], project: str
) -> list[str]:
    """Removes from `merged` each entry the stack `values` set to null (stack config merged
    over `base`); the problems of the nulls that name no entry of `base`."""
    problems = []
    for path, defaults in _removals(values, base, [root], ()):
        parent = merged
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
        if defaults is None:
            continue
        guess = closest(str(path[-1]), defaults)
        hint = f" (did you mean {guess!r}?)" if guess else f" (defaults: {defaults})" if defaults else ""
        problems.append(
            f"{config_key(project, path)}: got None: `null` removes a default entry, and there is no "
            f"default named {path[-1]!r}{hint}"
        )
    return problems


def _dropped(project: str, path: tuple[str, ...], given: Any, default: list[Any], why: str) -> list[str]:
    if not isinstance(given, list):
        return []
    dropped = [entry for entry in default if entry not in given]
    if not dropped:
        return []
    key = path[-1]
    added = [entry for entry in given if entry not in default]
    add = f"to add, write `{key}Add: {added}`; " if added else ""
    return [
        f"{config_key(project, path)}: got {given!r}: drops the default entries {dropped} ({why}); "
        f"{add}to drop them, write `{key}Remove: {dropped}`"
    ]


def dropped_defaults(values: dict[str, Any], base: dict[str, Any], project: str) -> list[str]:
    """A stack that restates a default workload's `connectsTo` without one of its entries
    would silently cut that connection (its NetworkPolicy path and its credential): refused,
    naming the explicit forms that say what is meant (`connectsToAdd`, `connectsToRemove`).
    The edge's path lists have the same forms but keep their old meaning when restated
    (docs/configuration.md, "Adding to the defaults")."""
    problems = []
    workloads = values.get("workloads")
    for name, spec in workloads.items() if isinstance(workloads, dict) else ():
        given = spec.get("connectsTo") if isinstance(spec, dict) else None
        default = base.get("workloads", {}).get(name, {}).get("connectsTo") or []
        problems += _dropped(
            project,
            ("workloads", name, "connectsTo"),
            given,
            default,
            "each is a NetworkPolicy path and a credential",
        )
    return problems
