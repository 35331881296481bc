"""Plain views of resource inputs, with preview-time unknowns made explicit.

pulumi-policy hands policies proxies that raise on unknown values; that would turn a
single unknown field into a "cannot run during preview" note for the whole resource.
Policies here work on plain data where an unknown is the UNKNOWN sentinel, so each check
decides for itself that an undecidable field yields no violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import _DictProxy, _ListProxy
from pulumi_policy.secret import Secret

# typing.TypeIs arrives in 3.13; pulumi itself requires typing-extensions>=4.11, which has it.
from typing_extensions import TypeIs

# The sentinels pulumi uses on the wire for values not known during preview.
_UNKNOWN_SENTINELS: Final = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class UndecidableError(TypeError):
    """A check needed a value that is not known until the update runs."""


class _Unknown:
    """A value not known until the update runs; keeps its wire sentinel for remediations."""

    __slots__ = ("sentinel",)

    def __init__(self, sentinel: str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9") -> None:
        self.sentinel = sentinel

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        # Truthiness of an unknown must never be taken as an answer; tests turn this into a
        # failure, the pack's wrapper into "undecided" (never a violation).
        raise UndecidableError("an unknown value has no truth value; test is_unknown() first")


UNKNOWN: Final = _Unknown()


def is_unknown(value: object) -> TypeIs[_Unknown]:
    return isinstance(value, _Unknown)


def to_wire(value: Any) -> Any:
    """Inverse of plain() for remediated inputs: unknowns go back as their sentinels."""
    if isinstance(value, _Unknown):
        return value.sentinel
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def plain(value: Any, keep_secrets: bool = False) -> Any:
    """Copies proxies, secrets and sentinels into dicts, lists, scalars and UNKNOWN.

    keep_secrets leaves Secret wrappers in place so a remediation cannot write a secret
    back in plaintext. Exact type tests come first: this runs once per policy per resource
    and dominates the pack's own cost."""
    t = type(value)
    if t is _DictProxy or t is _ListProxy:
        value = value["__target"]
        t = type(value)
    if t is dict:
        return {k: plain(v, keep_secrets) for k, v in value.items()}
    if t is list:
        return [plain(v, keep_secrets) for v in value]
    if t is str:
        return _Unknown(value) if value in _UNKNOWN_SENTINELS else value
    if t is float and value.is_integer():
        # The wire carries every number as a double; Kubernetes integer fields read as ints.
        return int(value)
    if t is Secret:
        inner = plain(value.value, keep_secrets)
        return Secret(inner) if keep_secrets else inner
    if t.__name__ in ("_DictSecretsProxy", "_ListSecretsProxy"):
        return plain(value["__target"], keep_secrets)
    if isinstance(value, Mapping):
        return {str(k): plain(value[k], keep_secrets) for k in list(value.keys())}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [plain(value[i], keep_secrets) for i in range(len(value))]
    return value


def get(obj: Any, *path: str | int) -> Any:
    """Walks dict keys and list indexes; None when absent, UNKNOWN when any step is unknown.
    (Exact type tests: plain data holds exact dicts and lists, and this runs ~80 times per
    resource.)"""
    cur = obj
    for step in path:
        t = type(cur)
        if t is dict:
            cur = cur.get(step) if type(step) is str else None
        elif t is list:
            cur = cur[step] if type(step) is int and 0 <= step < len(cur) else None
        elif isinstance(cur, _Unknown):
            return cur
        else:
            return None
    return cur


def as_list(value: Any) -> list[Any] | _Unknown:
    """A list field: [] when absent, UNKNOWN when unknown."""
    if isinstance(value, _Unknown):
        return value
    if isinstance(value, list):
        return value
    return []


def as_dict(value: Any) -> dict[str, Any] | _Unknown:
    if isinstance(value, _Unknown):
        return value
    if isinstance(value, dict):
        return value
    return {}
