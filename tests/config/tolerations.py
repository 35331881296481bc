"""Toleration cases, each as a user writes it under `workloads.<name>.tolerations`, with the
gate's expected verdict written by hand: accepted, or refused naming a key below the
toleration with words from the message. tests/config/test_tolerations.py holds the gate
to these verdicts; tests/apiserver/test_tolerations.py sends each toleration as it is to
the real kube-apiserver and holds the gate and the server to the same verdict, except
where the estate is stricter on purpose (`stricter` says why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    toleration: dict[str, Any]
    # None: the gate accepts it; else (key below the toleration, words of the message).
    refused: tuple[str, str] | None = None
    # Why the gate refuses what the API server accepts; empty when both agree.
    stricter: str = ""


CASES = [
    Case("exists", {"key": "dedicated", "operator": "Exists"}),
    Case("exists with an empty value", {"key": "dedicated", "operator": "Exists", "value": ""}),
    Case("equal with a value", {"key": "dedicated", "operator": "Equal", "value": "gpu"}),
    Case("equal without a value (matches the empty value)", {"key": "dedicated", "operator": "Equal"}),
    Case(
        "prefixed key, NoExecute with tolerationSeconds",
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "tolerationSeconds": 300},
    ),
    Case("PreferNoSchedule", {"key": "example.com/spot", "effect": "PreferNoSchedule"}),
    # The example.
    Case(
        "exists with a value",
        {"key": "dedicated", "operator": "Exists", "value": "gpu"},
        ("value", "remove `value`, or set operator: Equal"),
    ),
    Case(
        "equal with a space in the value",
        {"key": "dedicated", "operator": "Equal", "value": "gpu nodes"},
        ("value", "expected a label value"),
    ),
    Case(
        "equal with a 64-character value",
        {"key": "dedicated", "operator": "Equal", "value": "v" * 64},
        ("value", "expected a label value"),
    ),
    Case(
        "equal with a value ending in '-'",
        {"key": "dedicated", "operator": "Equal", "value": "gpu-"},
        ("value", "expected a label value"),
    ),
    Case("key starting with '-'", {"key": "-dedicated"}, ("key", "expected a label key")),
    Case("key with an upper-case prefix", {"key": "Example.com/spot"}, ("key", "prefix")),
    Case("key with two slashes", {"key": "example.com/a/b"}, ("key", "prefix")),
    Case("key of 64 characters", {"key": "k" * 64}, ("key", "expected a label key")),
    Case(
        "empty key with Equal",
        {"key": "", "operator": "Equal", "value": "gpu"},
        ("key", "expected the taint's key"),
    ),
    Case(
        "empty key with Exists (tolerates every taint)",
        {"key": "", "operator": "Exists"},
        ("key", "expected the taint's key"),
        stricter="an empty key with Exists tolerates every taint, control plane and unreachable nodes too",
    ),
    Case(
        "no key at all (tolerates every taint)",
        {"operator": "Exists"},
        ("key", "required key is missing"),
        stricter="an absent key is the empty key: every taint tolerated",
    ),
    Case(
        "tolerationSeconds with NoSchedule",
        {"key": "dedicated", "effect": "NoSchedule", "tolerationSeconds": 60},
        ("tolerationSeconds", "set effect: NoExecute"),
    ),
    Case(
        "tolerationSeconds with PreferNoSchedule",
        {"key": "dedicated", "effect": "PreferNoSchedule", "tolerationSeconds": 60},
        ("tolerationSeconds", "set effect: NoExecute"),
    ),
    Case(
        "negative tolerationSeconds",
        {"key": "dedicated", "effect": "NoExecute", "tolerationSeconds": -5},
        ("tolerationSeconds", "greater than or equal to 0"),
        stricter="the server takes a negative tolerationSeconds as 0 (evict at once): write 0",
    ),
    Case(
        "unknown effect",
        {"key": "dedicated", "effect": "NoScheduleNoAdmit"},
        ("effect", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    ),
    Case(
        "empty effect (every effect)",
        {"key": "dedicated", "effect": ""},
        ("effect", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
        stricter="an empty effect tolerates NoExecute too, unbounded: the estate names one effect",
    ),
    Case(
        "lower-case operator",
        {"key": "dedicated", "operator": "exists"},
        ("operator", "'Exists' or 'Equal'"),
    ),
    Case(
        "comparison operator (alpha feature, off)",
        {"key": "example.com/generation", "operator": "Gt", "value": "3"},
        ("operator", "'Exists' or 'Equal'"),
    ),
]
