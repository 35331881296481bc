"""Docker: no privileged containers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..rule import Finding, Rule, Subject
from ._common import CONTAINER, ESTATE_COMPOSE, cis_docker


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    if subject.resource_type == CONTAINER and subject.props.get("privileged") is True:
        yield Finding("privileged", "is true; containers must not run privileged")


RULE = Rule(
    name="docker-no-privileged",
    description="Docker containers must not run privileged.",
    severity=Severity.CRITICAL,
    remediation_steps="Remove privileged: true; add a single capability with "
    "capabilities.adds if one is needed.",
    frameworks=(cis_docker("5.4 Ensure that privileged containers are not used"), ESTATE_COMPOSE),
    check=check,
    applies_to=lambda t: t == CONTAINER,
    tags=("docker",),
)
