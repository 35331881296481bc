"""Per-policy exemptions from the pack config, and the record of every one applied.

Config shape (``--policy-pack-config``)::

    {"pss-restricted-run-as-non-root": {
        "exemptions": [{"resource": "<urn or pulumi name>", "reason": "<why>"}]}}

The JSON schema makes the engine reject an exemption without a reason; the pack checks
again because a config can also arrive straight over gRPC. An exemption is never silent:
each application is sent to the engine as a warning log line and reported once more as an
advisory violation by the ``shiksha-exemptions-applied`` stack policy.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import engine_log

SCHEMA: dict[str, Any] = {
    "type": "array",
    "default": [],
    "description": "Resources exempt from this policy; each needs a written reason.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1, "pattern": "\\S"},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class Applied:
    policy: str
    urn: str
    name: str
    reason: str
    findings: int

    def message(self) -> str:
        return (
            f"policy '{self.policy}' exempted for '{self.name}' ({self.urn}): "
            f"{self.findings} finding(s) waived; reason: {self.reason}"
        )


_lock = threading.Lock()
_applied: dict[tuple[str, str], Applied] = {}


def find(config: Mapping[str, Any], policy: str, urn: str, name: str) -> str | None:
    """The reason of the exemption matching this resource, if a valid one exists."""
    entries = config.get("exemptions") if isinstance(config, Mapping) else None
    if not isinstance(entries, list):
        return None
    for e in entries:
        if not isinstance(e, dict):
            continue
        target = e.get("resource")
        if target not in (urn, name) or not target:
            continue
        reason = e.get("reason")
        if isinstance(reason, str) and reason.strip():
            return reason.strip()
        # A reasonless exemption is ignored, and that is said out loud.
        engine_log.warn(
            f"policy '{policy}': exemption for '{target}' ignored because it has no reason",
            urn,
        )
    return None


def record(policy: str, urn: str, name: str, reason: str, findings: int) -> None:
    applied = Applied(policy, urn, name, reason, findings)
    with _lock:
        first = (policy, urn) not in _applied
        _applied[(policy, urn)] = applied
    if first:
        engine_log.warn("exemption applied: " + applied.message(), urn)
        print("shiksha-policy: exemption applied: " + applied.message(), file=sys.stderr)


def applied() -> list[Applied]:
    with _lock:
        return sorted(_applied.values(), key=lambda a: (a.policy, a.urn))


def reset() -> None:
    with _lock:
        _applied.clear()
