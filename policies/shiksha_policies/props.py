"""Plain views of resource inputs, with preview-time unknowns made explicit.

pulumi-policy hands policies proxies that raise on unknown values; that would turn a
single unknown field into a "cannot run during preview" note for the whole resource.
Policies here work on plain data where an unknown is the UNKNOWN sentinel, so each check
decides for itself that an undecidable field yields no violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

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


class _Unknown:
    """A value not known until the update runs; keeps its wire sentinel for remediations."""

    __slots__ = ("sentinel",)

    def __init__(self, sentinel: str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9") -> None:
        self.sentinel = sentinel

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        # Truthiness of an unknown must never be taken as an answer.
        raise TypeError("an unknown value has no truth value; test is_unknown() first")


UNKNOWN: Final = _Unknown()


def is_unknown(value: Any) -> bool:
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
    back in plaintext."""
    # Proxies expose their wrapped container under the "__target" key.
    target = _target(value)
    if target is not None:
        value = target
    if isinstance(value, str):
        return _Unknown(value) if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        return {str(k): plain(value[k], keep_secrets) for k in _keys(value)}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(v, keep_secrets) for v in _items(value)]
    if isinstance(value, float) and value.is_integer():
        # The wire carries every number as a double; Kubernetes integer fields read as ints.
        return int(value)
    if type(value).__name__ == "Secret":
        inner = plain(value.value, keep_secrets)
        if keep_secrets:
            return type(value)(inner)
        return inner
    return value


def _target(value: Any) -> Any:
    name = type(value).__name__
    if name in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        return value["__target"]
    return None


def _keys(mapping: Mapping[Any, Any]) -> list[Any]:
    return list(mapping.keys())


def _items(seq: Sequence[Any]) -> list[Any]:
    return [seq[i] for i in range(len(seq))]


def get(obj: Any, *path: str | int) -> Any:
    """Walks dict keys and list indexes; None when absent, UNKNOWN when any step is unknown."""
    cur = obj
    for step in path:
        if isinstance(cur, _Unknown):
            return cur
        if isinstance(step, int):
            if not isinstance(cur, list) or step >= len(cur):
                return None
            cur = cur[step]
        else:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(step)
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
