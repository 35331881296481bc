"""A stack's extra alert rules are PromQL the estate's Prometheus accepts, or the gate refuses
them naming the key, the value and the parser's reason (components/config/promql.py).

The same corpus goes through promtool (`check rules`, the tool CI already trusts), so the
gate and Prometheus are shown to agree, and the few places the gate is deliberately stricter
are listed with their reason.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.config.promql import MAX_LENGTH, MAX_NESTING
from components.render.alert_rules import rule_files
from tests.support.tools import require_tool

KEY = "shiksha-setu:monitoring.alerts.extraGroups.custom[0].expr"

# (expression, what the refusal must say). Prometheus refuses each one too (checked below).
REFUSED = [
    ("up ==", "invalid promql query"),
    ("sum(up", "unclosed left parenthesis"),
    ("sum by (le (rate(x[5m]))", "unclosed left parenthesis"),
    ("up)", "unexpected right parenthesis"),
    ("foo(up)", "unknown function with name 'foo'"),
    ("rate(up[5x])", "bad number or duration syntax: 5x"),
    ("rate(up[0s])", "duration must be greater than 0"),
    ("rate(up)", "expected type matrix in call to function 'rate'"),
    ("histogram_quantile(up)", "expected 2 argument"),
    ("{{ $value }} > 1", "unexpected left brace"),
    ("{{ .Labels.instance }}", "unexpected left brace"),
    ("   ", "no expression found in input"),
    ("\n\t", "no expression found in input"),
    ('up{job="api"', "unexpected end of input inside braces"),
    ('up{job=~"["}', "illegal regex"),
    ('{job=~".*"}', "at least one non-empty matcher"),
    ('up{__name__="x"}', "metric name must not be set twice"),
    ('x{a="\\q"}', "unknown escape sequence"),
    ("1 +", "invalid promql query"),
    ("up and 1", "set operator"),
    ('label_replace(up, "a", "$1", "b")', "expected 5 argument"),
    # Known to the parser but not to Prometheus 2.54 without experimental features.
    ("holt_winter(up[5m], 0.5, 0.5)", "unknown function"),
    ('sort_by_label(up, "job")', "sort_by_label() is experimental there or newer"),
    ("limitk(1, up)", "limitk() is experimental there or newer"),
    ("first_over_time(up[5m])", "first_over_time() is experimental there or newer"),
    ("info(up)", "info() is experimental there or newer"),
    ("mad_over_time(up[5m]) > 1", "mad_over_time() is experimental there or newer"),
]

# Prometheus loads these as rules, then fails every evaluation (a rule's result must be an
# instant vector or a scalar), or they are beyond what anyone writes by hand: the gate is
# stricter than promtool here, on purpose.
STRICTER = [
    ('"a string"', "not a string"),
    ("up[5m]", "not a range vector"),
    ("(max_over_time(up[1h:5m]))[10m:1m]", "not a range vector"),
    (" + ".join(["up"] * 2000), f"at most {MAX_LENGTH} characters"),
    ("(" * (MAX_NESTING + 1) + "up" + ")" * (MAX_NESTING + 1), f"nested at most {MAX_NESTING}"),
    ("(" * 100_000 + "up" + ")" * 100_000, f"at most {MAX_LENGTH} characters"),
]

ACCEPTED = [
    "up",
    'absent(up{job="api"} == 1)',
    "holt_winters(up[5m], 0.5, 0.5) > 1",
    'sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(x_total[5m]))',
    "up offset -1m == 0",
    "up @ 100 == 0",
    "max_over_time(up[1h:5m]) < 1",
    "vllm:num_requests_waiting > 20",
    'label_replace(up, "pod", "$1", "instance", "(.*):.*") == 0',
    'redis_key_size{key=~"celery(\\x06\\x16[369])?"} > 1000',
    "up == bool 0",
    "sum without (instance) (up) > on () group_left vector(1)",
    'count_values("version", build_info) > 1',
    "quantile_over_time(0.9, up[10m]) < 0.5",
    "predict_linear(node_filesystem_free_bytes[6h], 4 * 3600) < 0",
    "time() - process_start_time_seconds < 300",
    "1",
    " up ",
]


def _rule(expr: str) -> dict[str, str]:
    return {
        "alert": "Custom",
        "expr": expr,
        "severity": "warning",
        "summary": "s",
        "description": "d",
        "runbook": "custom",
    }


def gate(expr: str) -> str | None:
    """The gate's refusal of `expr` as an extra rule, or None."""
    try:
        parse_estate({"monitoring": {"alerts": {"extraGroups": {"custom": [_rule(expr)]}}}})
    except ConfigError as error:
        return str(error)
    return None


@pytest.mark.parametrize(("expr", "reason"), REFUSED + STRICTER, ids=lambda v: repr(v)[:40])
def test_gate_refuses_naming_key_value_and_reason(expr: str, reason: str) -> None:
    message = gate(expr)
    assert message is not None, f"accepted {expr!r}"
    assert f"{KEY}: got {expr[:20]!r}"[:-1] in message, message
    assert reason in message, message
    assert len(message) < 1000, "a huge value is shortened in the message"


@pytest.mark.parametrize("expr", ACCEPTED)
def test_gate_accepts_good_promql(expr: str) -> None:
    assert gate(expr) is None


def estate_rules() -> list[str]:
    config = parse_estate({})
    return [
        rule["expr"]
        for text in rule_files(config).values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
    ]


def test_every_rule_of_the_estate_passes_the_gate() -> None:
    """The built-in rules are AlertRules too (parsed at construction); as extra rules they pass."""
    exprs = estate_rules()
    assert len(exprs) >= 25
    for expr in exprs:
        assert gate(expr) is None, expr


def _promtool_accepts(exprs: list[str], tmp_path: Path) -> dict[str, tuple[bool, str]]:
    binary = require_tool("promtool")
    verdicts = {}
    for index, expr in enumerate(exprs):
        path = tmp_path / f"rule-{index}.yml"
        rule = {"alert": "Custom", "expr": expr}
        path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}))
        result = subprocess.run(
            [binary, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
        )
        verdicts[expr] = (result.returncode == 0, result.stdout + result.stderr)
    return verdicts


@pytest.mark.promtool
def test_promtool_agrees_with_the_gate(tmp_path: Path) -> None:
    """promtool (Prometheus 2.42's parser) refuses every refused form and loads every accepted
    one, the estate's own rules included; it loads the STRICTER forms the gate refuses."""
    refused = [expr for expr, _ in REFUSED]
    accepted = ACCEPTED + estate_rules()
    # Run through promtool without the giant ones (argument lists stay short).
    stricter = [expr for expr, _ in STRICTER if len(expr) <= MAX_LENGTH * 2]
    verdicts = _promtool_accepts(refused + accepted + stricter, tmp_path)
    disagree = [f"refused by the gate, loaded by promtool: {e!r}" for e in refused if verdicts[e][0]]
    disagree += [
        f"accepted by the gate, refused by promtool: {e!r}: {verdicts[e][1]}"
        for e in accepted
        if not verdicts[e][0]
    ]
    assert not disagree, "\n".join(disagree)
    for expr in stricter:
        assert verdicts[expr][0], f"promtool now refuses {expr!r}: move it to REFUSED"
