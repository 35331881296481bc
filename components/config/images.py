"""Image references: pinned (by digest or explicit version tag) or built by the stack."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import StrictModel
from .types import IMAGE_REFERENCE, DnsLabel, Line, PinnedImage, check_abs_path, fullmatch

# A repository without tag or digest: what builds push to and cache from.
_REPOSITORY = re.compile(
    r"[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+", re.ASCII
)
_REGISTRY = re.compile(r"[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]+)?", re.ASCII)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})", re.ASCII
)


def label_version(reference: str) -> str | None:
    """The app.kubernetes.io/version of a workload running `reference`: its tag, made a
    label value (at most 63 characters, alphanumeric at both ends), or None when the
    reference is pinned by digest alone (no tag says a version)."""
    match = IMAGE_REFERENCE.fullmatch(reference)
    tag = match.group("tag") if match else None
    version = (tag or "")[:63].strip("._-")
    return version or None


def _check_repository(value: str) -> str:
    if not _REPOSITORY.fullmatch(value):
        raise ValueError("expected a repository without tag or digest, such as ghcr.io/shiksha-setu/backend")
    return value


def _check_registry(value: str) -> str:
    if not _REGISTRY.fullmatch(value):
        raise ValueError("expected a registry host such as ghcr.io or registry.example.org:5000")
    return value


def _check_created(value: str) -> str:
    if not _RFC3339.fullmatch(value):
        raise ValueError("expected an RFC 3339 timestamp such as 2025-01-07T10:00:00Z")
    return value


def _check_relative_path(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9._/-]*", value, re.ASCII) or ".." in value.split("/"):
        raise ValueError(
            "expected a path relative to the build context (letters, digits, ._/-), without '..'"
        )
    return value


def _check_dockerfile(value: str) -> str:
    return check_abs_path(value) if value.startswith("/") else _check_relative_path(value)


Repository = Annotated[str, AfterValidator(_check_repository)]
RegistryHost = Annotated[str, AfterValidator(_check_registry)]


BuildPlatform = Literal["linux/amd64", "linux/arm64"]


def _both_platforms() -> list[BuildPlatform]:
    return ["linux/amd64", "linux/arm64"]


class ImageBuild(StrictModel):
    """One image built from the application source."""

    # The Dockerfiles live in this repository (docker/), not in the application source:
    # a path relative to the Pulumi project directory, or absolute.
    dockerfile: Annotated[str, AfterValidator(_check_dockerfile)] = Field(
        description=(
            "the Dockerfile this image is built from (a path in this repository, "
            "relative to the Pulumi project, or absolute)"
        ),
        examples=["docker/Dockerfile.backend"],
    )
    repository: Repository = Field(
        description=(
            "where the built image is pushed (inside build.registry), tagged with "
            "the estate version and the revision; workloads then run "
            "repository@digest"
        ),
        examples=["ghcr.io/shiksha-setu/backend"],
    )
    # A sub-directory of the application source used as build context ("." for its root).
    context: Annotated[str, AfterValidator(lambda v: v if v == "." else _check_relative_path(v))] = Field(
        ".",
        description=(
            'the sub-directory of build.context sent to the build as its context ("." for the whole source)'
        ),
    )
    # A build stage of the Dockerfile.
    target: Annotated[str, fullmatch(r"[A-Za-z][A-Za-z0-9._-]*", "a build stage name", 128)] | None = Field(
        None,
        description=("the Dockerfile stage built (docker build --target); unset builds the last stage"),
        examples=["runtime"],
    )


class BuildSpec(StrictModel):
    """Builds with BuildKit (pulumi-docker-build): one multi-platform image per entry, pushed
    to `registry`, with a registry cache imported and exported under `cacheRepository`."""

    # The application source checkout (absolute, or relative to the Pulumi project directory).
    context: Annotated[
        str, fullmatch(r"[A-Za-z0-9_./][A-Za-z0-9._/-]*", "a directory path (letters, digits, ._/-)", 1024)
    ] = Field(
        description=(
            "the application source checkout the images are built from (absolute, "
            "or relative to the Pulumi project)"
        ),
        examples=["../shiksha-setu"],
    )
    registry: RegistryHost = Field(
        description=("the registry host pushed to; every build.images repository must be in it"),
        examples=["ghcr.io"],
    )
    username: Annotated[Line, Field(min_length=1)] = Field(
        description=("the registry login user for the push (its password is the secret registryPassword)"),
        examples=["ci-bot"],
    )
    platforms: list[BuildPlatform] = Field(
        default_factory=_both_platforms,
        min_length=1,
        description=("the platforms every image is built for (one multi-platform image per key)"),
    )
    cache_repository: Repository = Field(
        description=(
            "the registry repository holding the build cache "
            "(<cacheRepository>:<key>), read and written by each build"
        ),
        examples=["ghcr.io/shiksha-setu/cache"],
    )
    # OCI label inputs. `created` comes from the commit, not the clock, so an unchanged
    # source gives an unchanged build (and no rollout).
    source: Annotated[str, fullmatch(r"https://[!-~]+", "an https:// URL", 2048)] = Field(
        description=(
            "the org.opencontainers.image.source label and SOURCE build argument of every built image"
        ),
        examples=["https://github.com/shiksha-setu/app"],
    )
    revision: Annotated[str, fullmatch(r"[0-9a-f]{7,40}", "a commit id (7 to 40 lower-case hex digits)")] = (
        Field(
            description=(
                "the commit built: the OCI revision label, the REVISION build argument and a second image tag"
            ),
            examples=["3f2a9c1"],
        )
    )
    created: Annotated[str, AfterValidator(_check_created)] = Field(
        description=(
            "the OCI created label and CREATED build argument, from the commit's "
            "time so an unchanged source builds the same digest"
        ),
        examples=["2026-12-01T10:00:00Z"],
    )
    images: dict[DnsLabel, ImageBuild] = Field(
        min_length=1,
        description=(
            "image key -> how it is built; each key must be in images.pinned, whose"
            " reference the built digest replaces"
        ),
        examples=[
            {
                "backend": {
                    "dockerfile": "docker/Dockerfile.backend",
                    "repository": "ghcr.io/shiksha-setu/backend",
                }
            }
        ],
    )

    @model_validator(mode="after")
    def _same_registry(self) -> BuildSpec:
        for key, image in self.images.items():
            if not image.repository.startswith(f"{self.registry}/"):
                raise ValueError(
                    f"images.{key}.repository {image.repository!r} is not in registry {self.registry!r}"
                )
        if len(set(self.platforms)) != len(self.platforms):
            raise ValueError(f"platforms {self.platforms} lists a platform twice")
        return self


class ImagesSpec(StrictModel):
    """`pinned` maps an image key (what workloads name in `image`) to a reference.

    With `build`, the keys it names are built from source and their pinned reference is
    replaced by the pushed `repository@digest`; a stack without `build` builds nothing."""

    pinned: dict[DnsLabel, PinnedImage] = Field(
        default_factory=dict,
        description=(
            "image key -> the reference (tag and/or @sha256 digest) every workload "
            "naming that key runs; its tag becomes the app.kubernetes.io/version "
            "label"
        ),
        examples=[{"backend": "ghcr.io/shiksha-setu/backend:4.1.0"}],
    )
    build: BuildSpec | None = Field(
        None,
        description=(
            "when set, builds and pushes the images it names (docker-build "
            "provider) and the workloads run the pushed digests; unset builds "
            "nothing"
        ),
        examples=[
            {
                "context": "../shiksha-setu",
                "registry": "ghcr.io",
                "username": "ci-bot",
                "cacheRepository": "ghcr.io/shiksha-setu/cache",
                "source": "https://github.com/shiksha-setu/app",
                "revision": "3f2a9c1",
                "created": "2026-12-01T10:00:00Z",
                "images": {
                    "backend": {
                        "dockerfile": "docker/Dockerfile.backend",
                        "repository": "ghcr.io/shiksha-setu/backend",
                    }
                },
            }
        ],
    )

    def version_of(self, key: str, built: str) -> str | None:
        """The version label of a workload running image `key`: `built` (the estate's version,
        which a build tags) for a built key, else its pinned tag (label_version)."""
        if (self.build is not None and key in self.build.images) or key not in self.pinned:
            return built
        return label_version(self.pinned[key])

    @model_validator(mode="after")
    def _built_keys_known(self) -> ImagesSpec:
        if self.build is not None:
            for key in self.build.images:
                if key not in self.pinned:
                    raise ValueError(
                        f"build.images.{key} is not a key of images.pinned "
                        f"(known: {sorted(self.pinned)}); a built image replaces a pinned one"
                    )
        return self
