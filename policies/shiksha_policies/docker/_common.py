"""Shared pieces of the Docker rules."""

from __future__ import annotations

from ..rule import CIS_DOCKER, Framework

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
BUILD_IMAGE = "docker-build:index:Image"

ESTATE_COMPOSE = Framework(
    "Shiksha Setu estate guardrails", "infrastructure-changelog: Docker Compose production"
)


def cis_docker(item: str) -> Framework:
    return Framework(CIS_DOCKER, item, "1.6")
