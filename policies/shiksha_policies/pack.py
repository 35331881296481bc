"""Builds the PolicyPack (which starts the gRPC server and blocks)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack

from . import engine_log
from .catalog import ALL_RULES

PACK_NAME = "shiksha-setu-policies"


def serve() -> None:
    engine_log.configure_from_argv()
    PolicyPack(
        name=PACK_NAME,
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[r.to_policy() for r in ALL_RULES],
        description="Pod Security Standards plus the Shiksha Setu estate guardrails.",
        display_name="Shiksha Setu policies",
        provider="kubernetes",
        tags=["kubernetes", "docker", "pod-security-standards"],
    )
