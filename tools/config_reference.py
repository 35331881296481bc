"""Writes docs/config-reference.md from the estate model: every key, its type, its default,
an example and what it changes, read from the pydantic models (their `description=`, else
the comment above the field). The model is the single source; the page is generated.

    python -m tools.config_reference [--check]     (make config-reference)

`--check` exits 1 when the page on disk differs from the model (the test runs the same
comparison).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import textwrap
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from components.config import alerts, edge, monitoring
from components.config import types as kinds
from components.config.errors import inner_types
from components.config.estate import EstateConfig
from components.config.loader import parse_estate

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "config-reference.md"
PROJECT = "shiksha-setu"
SHOWN_MAX = 160

HEADER = f"""# Configuration reference

Generated from the estate model (`components/config/`) by `make config-reference`; do not
edit by hand (`tests/config/test_config_reference.py` fails when this page and the model
differ). Every key is set in a stack file as `{PROJECT}:<top-level key>` with Pulumi's
camelCase names; a stack says only where it differs from these defaults. Maps of named
entries merge over their defaults and `null` removes a default entry; a list a stack extends
has `<key>Add` / `<key>Remove`, and restating it without a default entry is refused; other
lists replace ([configuration.md](configuration.md#adding-to-the-defaults)). Step-by-step examples:
[walkthroughs.md](walkthroughs.md).

Each section is one object of the tree; **default** is the production value (for the
top-level keys, after the production workloads and images are merged in), shown as JSON.
**example** is the key as a stack file writes it under `{PROJECT}:<top-level key>` (the
model's own example, else the default; for a map, one entry: maps merge over the defaults).
"""


@cache
def _kind_names() -> dict[Any, str]:
    """The value kinds by name (DnsLabel, UrlPath, ...), as the modules define them."""
    names: dict[Any, str] = {}
    for module in (kinds, edge, alerts, monitoring):
        for name, value in vars(module).items():
            if typing.get_origin(value) is typing.Annotated and not name.startswith("_"):
                names.setdefault(value, name)
    return names


def _hints(model: type[BaseModel]) -> dict[str, Any]:
    return typing.get_type_hints(model, include_extras=True)


def type_text(tp: Any) -> str:
    if tp in _kind_names():
        return _kind_names()[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        shown = [type_text(a) for a in args if a is not type(None)]
        return " or ".join(shown) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(a) for a in args)
    if origin is list:
        return f"list of {type_text(args[0])}"
    if origin is dict:
        return f"map {type_text(args[0])} → {type_text(args[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> the comment lines right above it in the class body."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        lines = source.splitlines()
        for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                above: list[str] = []
                index = node.lineno - 2
                while index >= 0 and lines[index].strip().startswith("#"):
                    above.insert(0, lines[index].strip().lstrip("#").strip())
                    index -= 1
                if above:
                    found[node.target.id] = " ".join(above)
    return found


def _shown(value: Any) -> str:
    value = to_jsonable_python(value, by_alias=True, exclude_none=True)
    if isinstance(value, dict) and len(json.dumps(value)) > SHOWN_MAX:
        return "map of " + ", ".join(f"`{key}`" for key in value)
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= SHOWN_MAX else f"`{text[: SHOWN_MAX - 3]}...`"


def _default(field: FieldInfo, effective: Any) -> str:
    if field.is_required():
        return "required"
    if effective is not _UNSET:
        return _shown(effective)
    return _shown(field.get_default(call_default_factory=True))


_UNSET = object()


def _example(field: FieldInfo, path: str, effective: Any) -> str:
    """The key written as a stack sets it, from its top-level key (`edge: {rateLimits:
    {statusCode: 429}}`): the field's own example, else its default (a map's first entry:
    maps merge, so one entry is what a stack writes). Empty when neither says anything."""
    if field.examples:
        value = field.examples[0]
    elif field.is_required():
        return ""
    else:
        value = effective if effective is not _UNSET else field.get_default(call_default_factory=True)
    value = to_jsonable_python(value, by_alias=True, exclude_none=True)
    if value is None or value in ([], {}):
        return ""
    if isinstance(value, dict) and not field.examples:
        value = dict([next(iter(value.items()))])
    text = json.dumps(value)
    if len(text) > SHOWN_MAX:
        text = text[: SHOWN_MAX - 3] + "..."
    *outer, key = path.split(".")
    text = f"{key}: {text}"
    for segment in reversed(outer):
        name, inner = segment, f"{{{text}}}"
        while name.endswith("[]"):
            name, inner = name[:-2], f"[{inner}]"
        text = f"{name}: {inner}"
    return f"`{text}`"


def _models(tp: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for inner in inner_types(tp):
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found.append(inner)
        else:
            for arg in typing.get_args(inner):
                found += _models(arg)
    return found


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _entries(tp: Any) -> str:
    """How the key path goes on into a container type: `.<name>` into a map, `[]` into a list."""
    if typing.get_origin(tp) is typing.Annotated:
        return _entries(typing.get_args(tp)[0])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict:
        return ".<name>" + _entries(args[1])
    if origin is list:
        return "[]" + _entries(args[0])
    return ""


def tree() -> list[tuple[type[BaseModel], str]]:
    """Every model of the configuration tree, once, with the key path it is first met at
    (`edge.routes.<name>`), breadth first from EstateConfig: the page's sections in order."""
    found: list[tuple[type[BaseModel], str]] = []
    queue: list[tuple[type[BaseModel], str]] = [(EstateConfig, "")]
    while queue:
        model, where = queue.pop(0)
        if any(model is seen for seen, _ in found):
            continue
        found.append((model, where))
        hints = _hints(model)
        for name, field in model.model_fields.items():
            key = field.alias or name
            hint = hints[name]
            path = f"{where}.{key}{_entries(hint)}" if where else f"{key}{_entries(hint)}"
            queue += [(inner, path) for inner in _models(hint)]
    return found


def declared_in(model: type[BaseModel], name: str) -> type:
    """The class whose body declares field `name` (a base class for inherited fields)."""
    return next(cls for cls in model.__mro__ if name in vars(cls).get("__annotations__", {}))


def render() -> str:
    out = [HEADER]
    effective = parse_estate({}).model_dump(mode="json", by_alias=True)
    for model, where in tree():
        title = "the top-level keys" if model is EstateConfig else f"`{where}`"
        doc = inspect.getdoc(model) if model.__doc__ and model.__module__.startswith("components") else ""
        out.append(f"\n## {model.__name__}\n\n{'Keys of ' + title}. {_escape(doc or '')}".rstrip() + "\n")
        out.append("| key | type | default | example | what it changes |\n|---|---|---|---|---|")
        hints, comments = _hints(model), _comments(model)
        for name, field in model.model_fields.items():
            key = field.alias or name
            top = effective.get(key, _UNSET) if model is EstateConfig else _UNSET
            what = field.description or comments.get(name, "")
            out.append(
                f"| `{key}` | {_escape(type_text(hints[name]))} | {_escape(_default(field, top))} "
                f"| {_escape(_example(field, f'{where}.{key}' if where else key, top))} | {_escape(what)} |"
            )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page differs from the model")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(
                f"{PAGE.relative_to(ROOT)} differs from the model: run `make config-reference`",
                file=sys.stderr,
            )
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
