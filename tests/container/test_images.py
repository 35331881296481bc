"""Image builds with pulumi-docker-build: multi-platform, registry cache, OCI labels, push
with the secret registry password; digests flow into the workloads of both targets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from tests.support import program
from tests.support.program import TEST_SECRETS, Snapshot, run_program

BUILD_IMAGE = "docker-build:index:Image"
BUILD = {
    "context": "../shiksha-setu-app",
    "registry": "ghcr.io",
    "username": "shiksha-ci",
    "cacheRepository": "ghcr.io/shiksha-setu/build-cache",
    "source": "https://github.com/shiksha-setu/shiksha-setu",
    "revision": "0123456789abcdef0123456789abcdef01234567",
    "created": "2025-01-07T10:00:00Z",
    "images": {
        "backend": {
            "dockerfile": "docker/Dockerfile.backend",
            "repository": "ghcr.io/shiksha-setu/backend",
            "context": "backend",
        },
        "frontend": {
            "dockerfile": "docker/Dockerfile.frontend",
            "repository": "ghcr.io/shiksha-setu/frontend",
            "context": "frontend",
        },
    },
}


def _digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Stands in for BuildKit: each build's digest is what the test says the registry returned."""
    digests: dict[str, str] = {}
    original = program._Mocks.new_resource

    def new_resource(self: Any, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = original(self, args)
        if args.typ == BUILD_IMAGE:
            outputs = {**outputs, "digest": digests[args.name]}
        return resource_id, outputs

    monkeypatch.setattr(program._Mocks, "new_resource", new_resource)
    yield digests


def _run(stack_target: str, digests: dict[str, str], backend_seed: str) -> Snapshot:
    digests["image-backend"] = _digest(backend_seed)
    digests["image-frontend"] = _digest("frontend-v1")
    return run_program(
        "prod", overrides={"shiksha-setu:target": stack_target, "shiksha-setu:images": {"build": BUILD}}
    )


def test_build_settings(registry: dict[str, str]) -> None:
    snapshot = _run("kubernetes", registry, "backend-v1")
    builds = {r.name: r for r in snapshot.of_type(BUILD_IMAGE)}
    assert set(builds) == {"image-backend", "image-frontend"}
    backend = builds["image-backend"]
    inputs = backend.inputs
    assert inputs["platforms"] == ["linux/amd64", "linux/arm64"]
    assert inputs["push"] is True
    assert inputs["context"]["location"].endswith("shiksha-setu-app/backend")
    assert inputs["dockerfile"]["location"].endswith("docker/Dockerfile.backend")
    cache = "ghcr.io/shiksha-setu/build-cache:backend"
    assert inputs["cacheFrom"] == [{"registry": {"ref": cache}}]
    assert inputs["cacheTo"][0]["registry"]["ref"] == cache
    assert inputs["cacheTo"][0]["registry"]["mode"] == "max"
    labels = inputs["labels"]
    assert labels["org.opencontainers.image.source"] == BUILD["source"]
    assert labels["org.opencontainers.image.revision"] == BUILD["revision"]
    assert labels["org.opencontainers.image.version"] == parse_estate({}).version
    assert labels["org.opencontainers.image.created"] == BUILD["created"]
    assert {inputs["buildArgs"][k] for k in ("SOURCE", "REVISION", "CREATED")} == {
        BUILD["source"],
        BUILD["revision"],
        BUILD["created"],
    }
    assert all(":" in tag and not tag.endswith(":latest") for tag in inputs["tags"])
    registry_args = inputs["registries"][0]
    assert registry_args["address"] == "ghcr.io" and registry_args["username"] == "shiksha-ci"
    assert registry_args["password"] == TEST_SECRETS["registryPassword"]
    assert "registries[0].password" in backend.secret_paths


def _images(snapshot: Snapshot) -> dict[str, str]:
    images = {}
    for resource, template in snapshot.pod_templates():
        images[resource.inputs["metadata"]["name"]] = template["spec"]["containers"][0]["image"]
    return images


def test_digests_roll_the_pods_only_when_they_change(registry: dict[str, str]) -> None:
    first = _images(_run("kubernetes", registry, "backend-v1"))
    assert first["api"] == f"ghcr.io/shiksha-setu/backend@{_digest('backend-v1')}"
    assert first["worker"] == first["api"] and first["frontend"].endswith(_digest("frontend-v1"))
    # Not built: still the pinned reference.
    assert first["postgres"] == parse_estate({}).images.pinned["postgres"]
    same = _images(_run("kubernetes", registry, "backend-v1"))
    assert same == first
    rebuilt = _images(_run("kubernetes", registry, "backend-v2"))
    changed = {name for name in first if first[name] != rebuilt[name]}
    assert changed == {"api", "worker", "beat"}
    assert rebuilt["api"].endswith(_digest("backend-v2"))


def test_digests_reach_the_docker_host_containers(registry: dict[str, str]) -> None:
    snapshot = _run("docker-host", registry, "backend-v3")
    containers = {r.name: r.inputs for r in snapshot.of_type("docker:index/container:Container")}
    expected = f"ghcr.io/shiksha-setu/backend@{_digest('backend-v3')}"
    assert containers["api"]["image"] == expected
    pulls = {r.inputs["name"] for r in snapshot.of_type("docker:index/remoteImage:RemoteImage")}
    assert expected in pulls


def test_pinned_stacks_build_nothing(prod: Snapshot, local: Snapshot) -> None:
    for snapshot in (prod, local):
        assert snapshot.of_type(BUILD_IMAGE) == []


def test_builds_need_the_registry_password(registry: dict[str, str]) -> None:
    registry["image-backend"] = registry["image-frontend"] = _digest("x")
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "registryPassword"}
    with pytest.raises(ConfigError, match=r"shiksha-setu:registryPassword: required secret is missing"):
        run_program("prod", overrides={"shiksha-setu:images": {"build": BUILD}}, secrets=secrets)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"platforms": ["linux/s390x"]}, "images.build.platforms[0]"),
        ({"created": "yesterday"}, "images.build.created"),
        ({"cacheRepository": "ghcr.io/cache:latest"}, "images.build.cacheRepository"),
        ({"images": {"ghost": {"dockerfile": "docker/x", "repository": "ghcr.io/a/b"}}}, "images"),
    ],
)
def test_bad_build_config_names_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"shiksha-setu:{key}")):
        parse_estate({"images": {"build": {**BUILD, **change}}})
