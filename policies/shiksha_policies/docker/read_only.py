"""Docker: read-only root filesystems."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..props import is_unknown
from ..rule import Finding, Rule, Subject
from ._common import CONTAINER, ESTATE_COMPOSE, cis_docker


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    if subject.resource_type != CONTAINER:
        return
    v = subject.props.get("readOnly")
    if not is_unknown(v) and v is not True:
        yield Finding("readOnly", f"is {v if v is not None else 'unset (false)'}; must be true")


RULE = Rule(
    name="docker-read-only-rootfs",
    description="Docker containers must run with a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation_steps="Set readOnly: true and give writable paths a tmpfs "
    "(tmpfs: {'/tmp': 'rw,noexec,nosuid'}).",
    frameworks=(
        cis_docker("5.12 Ensure that the container's root filesystem is mounted as read only"),
        ESTATE_COMPOSE,
    ),
    check=check,
    applies_to=lambda t: t == CONTAINER,
    tags=("docker",),
)
