"""The stack policy that lists every exemption applied during this run, as advisories.

Resource policies run before stack policies in one analyzer process, so by the time the
engine asks for the stack analysis every applied exemption has been recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from . import exemptions
from .rule import Finding, Framework, Rule, StackResource


def check(_resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    for a in exemptions.applied():
        yield (
            f"exemption of '{a.name}'",
            Finding(
                f"policy {a.policy}",
                f"was waived ({a.findings} finding(s)); reason: {a.reason}",
                urn=a.urn or None,
            ),
        )


RULE = Rule(
    name="shiksha-exemptions-applied",
    description="Lists every policy exemption applied in this run so none is silent.",
    severity=Severity.LOW,
    remediation_steps="Review each exemption; remove it from the pack config once the resource complies.",
    frameworks=(
        Framework("Shiksha Setu estate guardrails", "exemptions need a written reason and are reported"),
    ),
    stack_check=check,
    tags=("governance",),
)
