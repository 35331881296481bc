"""Builds the PolicyPack (which starts the gRPC server and blocks)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import engine_log, servicer
from .catalog import ALL_RULES

PACK_NAME = "shiksha-setu-policies"


def serve() -> None:
    engine_log.configure_from_argv()
    # pulumi_policy.PolicyPack with the pack's own servicer (decodes each request once).
    servicer.serve(
        ALL_RULES,
        name=PACK_NAME,
        enforcement_level=EnforcementLevel.ADVISORY,
        description="Pod Security Standards plus the Shiksha Setu estate guardrails.",
        display_name="Shiksha Setu policies",
        provider="kubernetes",
        tags=["kubernetes", "docker", "pod-security-standards"],
    )
