"""Docker: no-new-privileges security option."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..props import as_list, is_unknown
from ..rule import Finding, Rule, Subject
from ._common import CONTAINER, ESTATE_COMPOSE, cis_docker

# Docker accepts "no-new-privileges", "no-new-privileges:true" and "no-new-privileges=true".
_ON = re.compile(r"^no-new-privileges([:=]true)?$")


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    if subject.resource_type != CONTAINER:
        return
    opts = as_list(subject.props.get("securityOpts"))
    if is_unknown(opts) or any(is_unknown(o) for o in opts):
        return
    if not any(isinstance(o, str) and _ON.match(o.strip()) for o in opts):
        yield Finding("securityOpts", f"is {opts or 'unset'}; must include 'no-new-privileges:true'")


RULE = Rule(
    name="docker-no-new-privileges",
    description="Docker containers must set the no-new-privileges security option.",
    severity=Severity.HIGH,
    remediation_steps="Add 'no-new-privileges:true' to securityOpts.",
    frameworks=(
        cis_docker("5.25 Ensure that the container is restricted from acquiring additional privileges"),
        ESTATE_COMPOSE,
    ),
    check=check,
    applies_to=lambda t: t == CONTAINER,
    tags=("docker",),
)
