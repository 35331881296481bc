"""Docker: no latest or untagged images, for run and build alike."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..images import pinning_problem
from ..props import as_list, is_unknown
from ..rule import Finding, Rule, Subject
from ._common import BUILD_IMAGE, CONTAINER, ESTATE_COMPOSE, IMAGE, REMOTE_IMAGE, cis_docker

# Which input names the image for each resource type.
IMAGE_FIELDS = {CONTAINER: "image", IMAGE: "imageName", REMOTE_IMAGE: "name"}


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    field = IMAGE_FIELDS.get(subject.resource_type)
    if field is not None:
        ref = subject.props.get(field)
        if isinstance(ref, str):
            problem = pinning_problem(ref)
            if problem:
                yield Finding(field, problem)
        return
    if subject.resource_type == BUILD_IMAGE:
        tags = as_list(subject.props.get("tags"))
        if is_unknown(tags):
            return
        assert isinstance(tags, list)
        for i, t in enumerate(tags):
            if isinstance(t, str):
                problem = pinning_problem(t)
                if problem:
                    yield Finding(f"tags[{i}]", problem)


RULE = Rule(
    name="docker-image-pinned",
    description="Docker images must be pinned by version tag or digest, never latest or untagged.",
    severity=Severity.MEDIUM,
    remediation_steps="Name images <repo>:<version> (or @sha256:<digest>); "
    "tag builds with the release version.",
    frameworks=(cis_docker("4.x Use trusted, versioned base images"), ESTATE_COMPOSE),
    check=check,
    applies_to=lambda t: t in IMAGE_FIELDS or t == BUILD_IMAGE,
    tags=("docker", "supply-chain"),
)
