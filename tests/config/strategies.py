"""Hypothesis strategies for stack config, generated from the estate model's own JSON schema.

A drawn config is the production defaults with one to three places changed. A place is
any key the schema knows (a whole subtree or a leaf), an entry of a mapping (an existing
key, or a new one) or the first item of a list. Values follow the schema's types and
bounds, are taken from the values the defaults already use (so that many configs are
accepted and reach the renderers), or are hostile: quotes, ';', '}', '$', '{{', CR, LF,
NUL, U+2028, non-ASCII digits, huge or non-finite numbers, wrong JSON types.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

from hypothesis import strategies as st

from components.config.estate import EstateConfig
from components.config.loader import parse_estate

HOSTILE_CHARS = ['"', "'", ";", "}", "{", "$", "\r", "\n", "\x00", "\u2028", "\uff18", "\\", " ", "#", "`"]
HOSTILE_STRINGS = [
    "",
    " ",
    "{{ .Alerts }}",
    '{{ printf "%s" "x" }}',
    "$http_cookie",
    "${HOME}",
    "x; return 200 x; #",
    "a}\nserver { listen 1; }",
    "'); import os; os.system('id'); ('",
    '"; DROP TABLE x; --',
    "x\r\nX-Injected: 1",
    "\uff18\uff10\uff10\uff10",
    "a" * 300,
    "../../etc/passwd",
    "UPPER",
    "-leading",
    "trailing-",
    "9starts-with-digit",
    "ünïcode",
    "a\u2028b",
    "x\x00y",
    "(?=lookahead)",
    "[unclosed",
    "100m\n",
]
HOSTILE_NUMBERS: list[Any] = [
    -1,
    0,
    1,
    2**31,
    2**63,
    10**30,
    float("nan"),
    float("inf"),
    -float("inf"),
    0.5,
    True,
    "8000",
]
WRONG_TYPES: list[Any] = [None, [], {}, "x", 3, True, [None], {"": None}]

ANY_KEY = "<key>"
FIRST = "<first>"


@cache
def _schema() -> dict[str, Any]:
    return EstateConfig.model_json_schema(by_alias=True)


@cache
def defaults() -> dict[str, Any]:
    """The production estate as stack config (camelCase, JSON types)."""
    return parse_estate({}).model_dump(by_alias=True, mode="json")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _schema()["$defs"][ref.rsplit("/", 1)[1]]
    return schema


def _members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema)
    if "anyOf" in schema:
        return [m for option in schema["anyOf"] for m in _members(option)]
    return [schema]


def places(
    schema: dict[str, Any] | None = None, path: tuple[Any, ...] = (), depth: int = 0
) -> Iterator[tuple]:
    """(path, schema) of every place a config may change, the root excluded."""
    schema = schema if schema is not None else _schema()
    if path:
        yield path, schema
    if depth > 7:
        return
    for member in _members(schema):
        for key, sub in member.get("properties", {}).items():
            yield from places(sub, (*path, key), depth + 1)
        extra = member.get("additionalProperties")
        if isinstance(extra, dict):
            yield from places(extra, (*path, ANY_KEY), depth + 1)
        if isinstance(member.get("items"), dict):
            yield from places(member["items"], (*path, FIRST), depth + 1)


@cache
def _all_places() -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return list(places())


@cache
def _default_scalars() -> dict[str, list[Any]]:
    """Every scalar value of the defaults, by JSON type: plausible values for any place."""
    found: dict[str, list[Any]] = {"string": [], "integer": [], "number": []}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found["string"].append(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, bool):
            return
        elif isinstance(node, int):
            found["integer"].append(node)
        elif isinstance(node, float):
            found["number"].append(node)
        elif isinstance(node, str):
            found["string"].append(node)

    walk(defaults())
    return {kind: sorted(set(values), key=repr) for kind, values in found.items()}


def hostile_text() -> st.SearchStrategy[str]:
    plausible = st.sampled_from(_default_scalars()["string"])
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.tuples(plausible, st.sampled_from(HOSTILE_CHARS), st.booleans()).map(
            lambda t: t[1] + t[0] if t[2] else t[0] + t[1]
        ),
        st.text(alphabet=st.sampled_from([*HOSTILE_CHARS, "a", "0", "-", ".", "/", ":"]), max_size=12),
    )


def _string(schema: dict[str, Any], hostile: bool) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    plausible = st.sampled_from(_default_scalars()["string"])
    if not hostile:
        return plausible
    return st.one_of(plausible, hostile_text(), st.text(max_size=8))


def _integer(schema: dict[str, Any], hostile: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum", -(2**40)), schema.get("maximum", 2**40)
    if not hostile:
        return st.integers(min_value=max(low, 1), max_value=min(high, max(low, 1) + 100))
    return st.one_of(
        st.integers(min_value=low, max_value=high),
        st.sampled_from(_default_scalars()["integer"]),
        st.sampled_from(HOSTILE_NUMBERS),
    )


def _number(schema: dict[str, Any], hostile: bool) -> st.SearchStrategy[Any]:
    if not hostile:
        return st.floats(min_value=0.05, max_value=1.0)
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(_default_scalars()["number"] or [1.0]),
        st.sampled_from(HOSTILE_NUMBERS),
    )


def value_for(schema: dict[str, Any], depth: int = 0, hostile: bool = True) -> st.SearchStrategy[Any]:
    """Values of the schema's shape: plausible ones (taken from the defaults, within the
    schema's bounds) or, when `hostile`, also hostile ones and now and then a wrong type."""
    options: list[st.SearchStrategy[Any]] = []
    for member in _members(schema):
        kind = member.get("type")
        if "const" in member:
            options.append(st.just(member["const"]))
        elif kind == "string":
            options.append(_string(member, hostile))
        elif kind == "integer":
            options.append(_integer(member, hostile))
        elif kind == "number":
            options.append(_number(member, hostile))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "null":
            options.append(st.none())
        elif depth > 2:
            options.append(st.sampled_from(WRONG_TYPES))
        elif kind == "array":
            options.append(st.lists(value_for(member.get("items", {}), depth + 1, hostile), max_size=3))
        elif kind == "object" or "properties" in member:
            properties = member.get("properties", {})
            extra = member.get("additionalProperties")
            if properties:
                options.append(
                    st.fixed_dictionaries(
                        {},
                        optional={key: value_for(sub, depth + 1, hostile) for key, sub in properties.items()},
                    )
                )
            elif isinstance(extra, dict):
                keys = st.sampled_from(_default_scalars()["string"])
                if hostile:
                    keys = st.one_of(keys, hostile_text())
                options.append(st.dictionaries(keys, value_for(extra, depth + 1, hostile), max_size=2))
    if hostile or not options:
        options.append(st.sampled_from(WRONG_TYPES))
    return st.one_of(*options)


def _existing(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    return None


@st.composite
def overrides(draw: st.DrawFn, targets: tuple[str, ...] = ("kubernetes", "docker-host")) -> dict[str, Any]:
    """Top-level stack config keys (without the project prefix) for one drawn estate."""
    result: dict[str, Any] = {"target": draw(st.sampled_from(targets))}
    # Half the configs change plausible values only, so that many reach the renderers.
    hostile = draw(st.booleans())
    changes = draw(st.lists(st.sampled_from(_all_places()), min_size=1, max_size=3))
    for path, schema in changes:
        if path == ("target",):
            continue
        # Build the override along `path`, starting from the defaults where lists are
        # involved (stack config replaces a list as a whole).
        concrete: list[Any] = []
        node: Any = defaults()
        for step in path:
            part = step
            if step == ANY_KEY:
                known = sorted(node) if isinstance(node, dict) else []
                names = st.one_of(st.sampled_from(known), hostile_text()) if known else hostile_text()
                part = draw(st.sampled_from(known) if known and not hostile else names)
            concrete.append(part)
            node = node[0] if part == FIRST and isinstance(node, list) and node else _existing(node, part)
        value = draw(value_for(schema, hostile=hostile))
        _set(result, concrete, value)
    return result


def _set(tree: dict[str, Any], path: list[Any], value: Any) -> None:
    """Sets `path` in the override tree; a FIRST step replaces the list's first item."""
    node: Any = tree
    base: Any = defaults()
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if part == FIRST:
            return  # handled by the caller's parent step
        following = path[index + 1] if not last else None
        if following == FIRST:
            items = copy.deepcopy(base.get(part)) if isinstance(base, dict) else None
            items = items if isinstance(items, list) and items else [None]
            if index + 2 == len(path):
                items[0] = value
            else:
                items[0] = _merged(items[0], path[index + 2 :], value)
            node[part] = items
            return
        if last:
            node[part] = value
            return
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
        base = base.get(part) if isinstance(base, dict) else None


def _merged(item: Any, path: list[Any], value: Any) -> Any:
    """`item` (a list's first element) with `path` inside it set to `value`."""
    item = copy.deepcopy(item) if isinstance(item, dict) else {}
    holder: dict[str, Any] = {"_": item}
    node: Any = holder
    for part in ["_", *path[:-1]]:
        if part == FIRST:
            return item  # lists in lists: the item unchanged
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if path[-1] != FIRST:
        node[path[-1]] = value
    return holder["_"]
