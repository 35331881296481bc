"""Label selector matching, as the API server evaluates it."""

from __future__ import annotations

from typing import Any

from ..props import is_unknown


def matches(selector: Any, labels: Any) -> bool | None:
    """True/False, or None when an unknown value makes it undecidable."""
    if is_unknown(selector) or is_unknown(labels):
        return None
    if not isinstance(selector, dict):
        return False
    labels = labels if isinstance(labels, dict) else {}
    if any(is_unknown(k) for k in labels):
        return None
    match_labels = selector.get("matchLabels")
    exprs = selector.get("matchExpressions")
    if is_unknown(match_labels) or is_unknown(exprs):
        return None
    match_labels = match_labels if isinstance(match_labels, dict) else {}
    exprs = exprs if isinstance(exprs, list) else []
    if not match_labels and not exprs:
        return True  # the empty selector selects everything
    for k, v in match_labels.items():
        if is_unknown(v) or is_unknown(labels.get(k)):
            return None
        if labels.get(k) != v:
            return False
    for e in exprs:
        if not isinstance(e, dict):
            return None
        key, op, values = e.get("key"), e.get("operator"), e.get("values")
        if any(is_unknown(x) for x in (key, op, values)):
            return None
        values = values if isinstance(values, list) else []
        if any(is_unknown(v) for v in values):
            return None
        has = key in labels
        if has and is_unknown(labels[key]):
            return None
        if op == "In" and not (has and labels[key] in values):
            return False
        if op == "NotIn" and has and labels[key] in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True
