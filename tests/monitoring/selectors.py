"""The vector selectors of alert rules, read with the PromQL parser the gate uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import promql_parser
import yaml

_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


@dataclass(frozen=True)
class Selector:
    alert: str
    name: str
    matchers: tuple[tuple[str, str, str], ...]

    @property
    def promql(self) -> str:
        # json.dumps escapes as PromQL's double-quoted strings read them (\u0006 for a \x06).
        labels = ",".join(f"{n}{op}{json.dumps(v)}" for n, op, v in self.matchers)
        return f"{{__name__={json.dumps(self.name)}{',' if labels else ''}{labels}}}"


def selectors_of(alert: str, expr: str) -> list[Selector]:
    found: list[Selector] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = tuple(
                (m.name, _OPS[str(m.op).rsplit(".", 1)[1]], m.value)
                for m in node.matchers.matchers
                if m.name != "__name__"
            )
            # A selector without a metric name ({job="x"}) has None: no alert of the estate has one.
            found.append(Selector(alert, node.name or "", matchers))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def rule_selectors(rule_files: Mapping[str, str]) -> list[Selector]:
    out = []
    for text in rule_files.values():
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                out += selectors_of(rule["alert"], rule["expr"])
    return out
