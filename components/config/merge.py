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


# Lists a stack extends, where a restatement that forgets a default entry would change the
# estate silently: each has `<key>Add` / `<key>Remove`, and a restated list that drops a
# default entry is refused (docs/configuration.md, "Adding to the defaults").
EXTENDED_LISTS: dict[tuple[str, ...], str] = {
    (
        "edge",
        "blockedPaths",
    ): "each is a scanner target the edge answers itself; a dropped one is proxied to the app",
    (
        "edge",
        "mlPaths",
    ): "each gets the long ML timeouts; a dropped one is cut off after timeouts.readSeconds",
    ("edge", "streamPaths"): "each is streamed unbuffered; a dropped one is buffered and times out",
    ("edge", "websocketPaths"): "each is upgraded to a WebSocket; a dropped one loses its connections",
    ("cdn", "cacheControl", "immutablePrefixes"): "each is cached for a year; a dropped one is revalidated",
    ("cdn", "cacheControl", "staticBackends"): "their pages are cacheable; a dropped one's become no-store",
    ("monitoring", "droppedMetrics"): "each drops series nobody queries; a dropped one is stored again",
}


# The same, for a default workload's own lists (a new workload writes its own).
WORKLOAD_LISTS = {
    "connectsTo": "each is a NetworkPolicy path and a credential",
    "writablePaths": "each is where the read-only container may write; a dropped one fails the writes there",
}


def model_default(root: type[BaseModel], path: tuple[str, ...]) -> Any:
    """The model's own default at a stack key path (camelCase keys), e.g. edge.blockedPaths."""
    fields = root.model_fields
    value: Any = None
    for key in path:
        name = next(n for n, f in fields.items() if (f.alias or n) == key)
        value = fields[name].get_default(call_default_factory=True) if value is None else getattr(value, name)
        fields = type(value).model_fields if isinstance(value, BaseModel) else {}
    return value


def dropped_defaults(
    values: dict[str, Any], base: dict[str, Any], project: str, root: type[BaseModel]
) -> list[str]:
    """A stack that restates one of WORKLOAD_LISTS of a default workload, or one of
    EXTENDED_LISTS, without one of its default entries would silently drop it: refused,
    naming the explicit forms that say what is meant (`<key>Add`, `<key>Remove`)."""
    problems = []
    workloads = values.get("workloads")
    for name, spec in workloads.items() if isinstance(workloads, dict) else ():
        for key, why in WORKLOAD_LISTS.items():
            given = spec.get(key) if isinstance(spec, dict) else None
            default = base.get("workloads", {}).get(name, {}).get(key) or []
            problems += _dropped(project, ("workloads", name, key), given, default, why)
    for path, why in EXTENDED_LISTS.items():
        given = values
        for key in path:
            given = given.get(key) if isinstance(given, dict) else None
        if given is not None:
            problems += _dropped(project, path, given, list(model_default(root, path)), why)
    return problems
