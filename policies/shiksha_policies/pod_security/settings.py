"""The `pss` policy: holds the pack-wide `pss.version` setting and judges nothing.

pulumi-policy configures policies one by one; a setting every pss-* policy shares lives
here, as `{"pss": {"version": "1.32"}}` in the pack config, and the pack's servicer hands
it to each of them (pack.py). It is a stack policy that never reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..rule import Finding, Rule, Subject
from ._common import PSS_VERSION, VERSION_SCHEMA, pss

NAME = "pss"


def check(_resources: list[Subject], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    return iter(())


RULE = Rule(
    name=NAME,
    description=f"Settings of the Pod Security Standards policies (version: the Kubernetes release "
    f"whose Standards they follow; latest is {PSS_VERSION}). Reports nothing.",
    severity=Severity.LOW,
    remediation_steps="Set version to your cluster's Kubernetes minor version, e.g. "
    '{"pss": {"version": "1.32"}}.',
    frameworks=(pss("all controls", "Baseline and Restricted"),),
    stack_check=check,
    extra_config={"version": VERSION_SCHEMA},
    tags=("pss",),
)
