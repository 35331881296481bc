"""Guardrail: a stack that declared `secrets.source: external` registers no plaintext Secret.

With an external source every value comes from the secrets manager through the External
Secrets Operator, so a Secret object carrying `data` or `stringData` means a value passed
through Pulumi config and state after all (a forgotten component, a hand-written Secret).
The pack cannot see the program's config, so the stack's choice arrives in this policy's
own config (`secretsSource`), set by whoever runs the pack for that stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ..kube import of_kinds
from ..props import is_unknown
from ..rule import Finding, Rule, Subject
from ._common import ESTATE, kind, nsa


def check(subject: Subject, config: Mapping[str, Any]) -> Iterator[Finding]:
    if config.get("secretsSource") != "external" or kind(subject.resource_type) != "Secret":
        return
    for section in ("data", "stringData"):
        value = subject.props.get(section)
        # An unknown value (preview) is still a value the program supplies.
        if is_unknown(value) or (isinstance(value, Mapping) and value):
            yield Finding(
                section,
                "carries secret values through Pulumi although this stack's secrets.source is "
                "'external'; declare an ExternalSecret for it instead",
            )


RULE = Rule(
    name="external-secrets-no-plaintext-secret",
    description="A stack whose secrets come from a secrets manager registers no Secret with values.",
    severity=Severity.HIGH,
    remediation_steps="Produce the Secret with an ExternalSecret (external-secrets.io/v1) that reads "
    "the value from the ClusterSecretStore, and remove the value from Pulumi config.",
    frameworks=(nsa("Secrets: keep credentials in a dedicated secrets manager"), ESTATE),
    enforcement=EnforcementLevel.MANDATORY,
    check=check,
    applies_to=of_kinds("Secret"),
    extra_config={
        "secretsSource": {
            "type": "string",
            "enum": ["pulumi", "external"],
            "default": "pulumi",
            "description": "The stack's secrets.source: 'external' forbids Secrets with values.",
        }
    },
    tags=("secrets",),
)
