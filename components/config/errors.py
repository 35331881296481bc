"""Turns validation failures into messages that name the stack config key."""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel


class ConfigError(ValueError):
    """Bad stack configuration; raised before any resource is registered."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Problem:
    """A cross-reference problem of a field-valid estate (references.py, plan/checks.py)."""

    key: str
    message: str
    value: Any = None
    has_value: bool = False
    # The name this problem says is missing: dropped when that name's own entry was invalid.
    refers_to: str | None = None

    def text(self, project: str) -> str:
        got = f"got {self.value!r}: " if self.has_value else ""
        return f"{project}:{self.key}: {got}{self.message}"


def got(key: str, value: Any, message: str, refers_to: str | None = None) -> Problem:
    """A problem of the value at `key`."""
    return Problem(key, message, value, True, refers_to)


def config_key(project: str, loc: tuple[Any, ...]) -> str:
    """`("workloads", "api", "replicas")` -> `shiksha-setu:workloads.api.replicas`; an int
    is a list index (`edge.hosts[0]`), a string a mapping key even when it is digits, and a
    key that is a URL path is quoted (`edge.routes["/api"].backend`)."""
    # A key with a newline or other invisible characters is shown quoted.
    shown = [str(part) if str(part).isprintable() else repr(part) for part in loc] or ["<root>"]
    path = shown[0]
    for part, text in zip(loc[1:], shown[1:], strict=True):
        if isinstance(part, str) and part.startswith("/"):
            path += f"[{json.dumps(part)}]"  # a path key (edge.routes["/api"]), quoted as it is written
        else:
            path += f"[{text}]" if isinstance(part, int) else f".{text}"
    return f"{project}:{path}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def holds(node: Any, part: Any) -> bool:
    """Whether `part` is a key of mapping `node` or an index of list `node`."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def data_loc(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """The part of pydantic's `loc` that is a path in `data` (its union and validator tags
    dropped), and whether the whole of it exists there."""
    path: list[Any] = []
    node = data
    for part in loc:
        if part == "[key]":
            return tuple(path), True  # the mapping key itself is the bad value
        if holds(node, part):
            node = node[part]
        elif isinstance(node, dict | list):
            # A key that is not there: missing or unknown, still the path's last part.
            return (*path, part), False
        else:
            continue  # a tag of a union member or validator, not a key of the data
        path.append(part)
    return tuple(path), True


def inner_types(tp: Any) -> list[Any]:
    """The types a value of annotation `tp` may hold, unwrapped from Annotated and unions."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return inner_types(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in inner_types(arg)]
    return [tp]


def child_types(candidates: list[Any], part: Any) -> list[Any]:
    """The types the value under key or index `part` may hold, in a value of `candidates`."""
    following: list[Any] = []
    for tp in candidates:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            for name, field in tp.model_fields.items():
                if part in (field.alias, name):
                    following += inner_types(field.annotation)
        elif typing.get_origin(tp) is dict:
            following += inner_types(typing.get_args(tp)[1])
        elif typing.get_origin(tp) is list:
            following += inner_types(typing.get_args(tp)[0])
    return following


def known_keys(root: type[BaseModel], path: tuple[Any, ...]) -> list[str] | None:
    """The camelCase keys the model allows at `path` (a mapping of the stack config)."""
    candidates: list[Any] = [root]
    for part in path:
        candidates = child_types(candidates, part)
    for tp in candidates:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [field.alias or name for name, field in tp.model_fields.items()]
    return None


def map_form(entries: Iterable[tuple[str, Any]]) -> str:
    """Named entries as one line of YAML flow style (JSON, which YAML reads as it is): the
    map a refused old list form means, for the user to paste."""
    return "{" + ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in entries) + "}"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a misspelling of, if any."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """`names no <what>`, the known name it most likely misspells, and the known ones."""
    names = sorted(known)
    guess = closest(name, names)
    hint = f"did you mean {guess!r}? " if guess is not None else ""
    return f"names no {what} ({hint}known: {names})"


def unknown_port(workload: str, port: Any, ports: Iterable[str], verb: str = "has") -> str:
    names = sorted(ports)
    guess = closest(str(port), names)
    hint = f"did you mean {guess!r}? " if guess is not None else ""
    return f"workload {workload!r} {verb} no such port ({hint}ports: {names})"


def _unknown_key(root: type[BaseModel], path: tuple[Any, ...]) -> str:
    key = str(path[-1])
    known = known_keys(root, path[:-1]) or []
    if key != to_camel(key) and to_camel(key) in known:
        return f"unknown key: stack config is camelCase, write `{to_camel(key)}`"
    guess = closest(key, known)
    if guess is not None:
        return f"unknown key (did you mean `{guess}`?)"
    return f"unknown key (known here: {', '.join(sorted(known))})" if known else "unknown key"


def _added_entry(data: Any, loc: tuple[Any, ...], value: Any) -> tuple[Any, ...] | None:
    """`(..., "<key>Add", i)` when the bad value of the folded list `loc` is entry i of the
    `<key>Add` list the stack wrote beside it (base.fold_additions)."""
    *parent, key = loc
    node = data
    for part in parent:
        node = node[part]
    added = node.get(f"{key}Add") if isinstance(node, dict) else None
    if isinstance(added, list) and value in added:
        return (*parent, f"{key}Add", added.index(value))
    return None


def _is_key(part: Any) -> bool:
    # pydantic's tags of union members and validators have brackets, parentheses or spaces.
    return isinstance(part, str) and not any(c in part for c in "[]() ")


def from_validation_error(
    project: str, error: ValidationError, data: Any = None, root: type[BaseModel] | None = None
) -> list[str]:
    problems = []
    for item in error.errors():
        loc, exists = data_loc(data, tuple(item["loc"])) if data is not None else (tuple(item["loc"]), True)
        message = item["msg"].removeprefix("Value error, ")
        if not loc:
            # Cross-field checks on the root name their own key path in the message.
            problems.append(f"{project}:{message}")
        elif item["type"] == "extra_forbidden":
            text = (
                _unknown_key(root, loc) if root is not None else "unknown key (not part of the estate model)"
            )
            problems.append(f"{config_key(project, loc)}: {text}")
        elif item["type"] == "missing":
            problems.append(f"{config_key(project, loc)}: required key is missing")
        elif not exists:
            # A value a before-validator built (a list folded from `<key>Add`): not in the
            # stack's data. The entry is named where the stack wrote it, else by pydantic's path.
            rest = tuple(item["loc"])[len(loc) :]
            full = _added_entry(data, loc, item.get("input")) or (
                *loc,
                *(part for part in rest if isinstance(part, int) or _is_key(part)),
            )
            problems.append(f"{config_key(project, full)}: got {_short(item.get('input'))}: {message}")
        elif isinstance(item.get("input"), dict):
            problems.append(f"{config_key(project, loc)}: {message}")
        else:
            problems.append(f"{config_key(project, loc)}: got {_short(item.get('input'))}: {message}")
    return list(dict.fromkeys(problems))
