"""PromQL as the estate's Prometheus reads it: every alert expression is parsed at the gate.

promql-parser is a port of Prometheus's own lexer and parser (grammar, function signatures,
durations, regexes, escapes), so an expression Prometheus would refuse, and with it the
whole rule file at run time, is refused here naming its key. The parser follows Prometheus 3;
the estate runs the pinned Prometheus 2.54 (monitoring.images.prometheus) without feature
flags, so what differs is settled here: 2.54's `holt_winters` is known, and the functions
and aggregations that 2.54 has only behind `--enable-feature=promql-experimental-functions`
or not at all are refused. tests/config/test_promql_gate.py checks this against promtool.
"""

from __future__ import annotations

import contextlib
from typing import Any

import promql_parser

# Longer than any rule anyone writes by hand (the estate's longest is ~250 characters), and
# short enough that a pasted blob or a deeply nested one never reaches the parser's recursion.
MAX_LENGTH = 4096
MAX_NESTING = 64

# Known to the parser as ordinary (non-experimental) but not to Prometheus 2.54 without flags.
_NOT_IN_PINNED = frozenset({"first_over_time"})
_EXPERIMENTAL_AGGREGATIONS = frozenset({"limitk", "limit_ratio"})

with contextlib.suppress(ValueError):  # already registered in this process
    promql_parser.register_extra_functions(
        [
            # Prometheus 2.x's name for what 3.x calls double_exponential_smoothing.
            promql_parser.Function(
                "holt_winters",
                [
                    promql_parser.ValueType.Matrix,
                    promql_parser.ValueType.Scalar,
                    promql_parser.ValueType.Scalar,
                ],
                promql_parser.ValueType.Vector,
            )
        ]
    )


def _nesting(value: str) -> int:
    depth = deepest = 0
    for char in value:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _result_type(node: Any) -> str:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if isinstance(node, promql_parser.StringLiteral):
        return "string"
    if isinstance(node, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        return "range vector"
    return "instant"


def check_alert_expr(value: str) -> str:
    """`value` if Prometheus 2.54 would load and evaluate it as an alerting rule's `expr`."""
    if len(value) > MAX_LENGTH:
        raise ValueError(
            f"expected a PromQL expression of at most {MAX_LENGTH} characters (got {len(value)})"
        )
    if _nesting(value) > MAX_NESTING:
        raise ValueError(f"expected a PromQL expression nested at most {MAX_NESTING} brackets deep")
    try:
        expr = promql_parser.parse(value)
    except ValueError as error:
        raise ValueError(
            f"expected a PromQL expression Prometheus accepts; the PromQL parser says: {error}"
        ) from None
    refused: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.Call):
            if node.func.experimental or node.func.name in _NOT_IN_PINNED:
                refused.append(f"{node.func.name}()")
        elif isinstance(node, promql_parser.AggregateExpr):
            op = str(node.op).lower()
            refused.extend(f"{name}()" for name in _EXPERIMENTAL_AGGREGATIONS if name == op)

    promql_parser.walk(expr, visit)
    if refused:
        raise ValueError(
            "expected PromQL that the estate's Prometheus (2.54, no experimental features) "
            f"evaluates: {', '.join(sorted(set(refused)))} is experimental there or newer"
        )
    kind = _result_type(expr)
    if kind != "instant":
        raise ValueError(
            f"expected an expression whose result is an instant vector or a scalar, not a {kind}"
        )
    return value
