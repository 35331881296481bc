"""The estate's images: pinned references, or multi-platform builds pushed by digest.

Builds use Pulumi's BuildKit provider (pulumi-docker-build): pulumi-docker's `Image`
builds one platform per resource and cannot import or export a registry cache, while
docker-build's `Image` does both in one resource. pulumi-docker keeps everything that
runs (networks, volumes, containers, pulls) on the docker-host target.

Workloads get `repository@digest`: a new build changes the reference and so rolls the
pods (or replaces the containers); an unchanged source gives the same digest and nothing
moves. A stack without `images.build` builds nothing and uses `images.pinned`.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_docker_build as docker_build

from components.config.estate import EstateConfig
from components.config.images import BuildSpec, ImageBuild
from components.config.secrets import EstateSecrets

OCI = "org.opencontainers.image"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def oci_labels(build: BuildSpec, version: str, key: str) -> dict[str, str]:
    return {
        f"{OCI}.source": build.source,
        f"{OCI}.revision": build.revision,
        f"{OCI}.version": version,
        f"{OCI}.created": build.created,
        f"{OCI}.title": f"shiksha-setu-{key}",
    }


def _resolve(path: str, base: Path) -> str:
    candidate = Path(path)
    return str(candidate if candidate.is_absolute() else (base / candidate))


def build_image(
    key: str,
    image: ImageBuild,
    build: BuildSpec,
    version: str,
    password: pulumi.Input[str],
    project_dir: Path,
    opts: pulumi.ResourceOptions | None = None,
) -> docker_build.Image:
    cache_ref = f"{build.cache_repository}:{key}"
    context = Path(_resolve(build.context, project_dir)) / image.context
    labels = oci_labels(build, version, key)
    return docker_build.Image(
        f"image-{key}",
        context=docker_build.BuildContextArgs(location=str(context)),
        dockerfile=docker_build.DockerfileArgs(location=_resolve(image.dockerfile, project_dir)),
        target=image.target,
        platforms=[docker_build.Platform(p) for p in build.platforms],
        # The Dockerfiles' LABEL lines read these, so the labels are in the image config too.
        build_args={
            "VERSION": version,
            "REVISION": build.revision,
            "SOURCE": build.source,
            "CREATED": build.created,
        },
        labels=labels,
        tags=[f"{image.repository}:{version}", f"{image.repository}:{build.revision}"],
        push=True,
        registries=[
            docker_build.RegistryArgs(address=build.registry, username=build.username, password=password)
        ],
        cache_from=[docker_build.CacheFromArgs(registry=docker_build.CacheFromRegistryArgs(ref=cache_ref))],
        cache_to=[
            docker_build.CacheToArgs(
                registry=docker_build.CacheToRegistryArgs(
                    ref=cache_ref,
                    mode=docker_build.CacheMode.MAX,
                    image_manifest=True,
                    oci_media_types=True,
                )
            )
        ],
        # Previews never build or push; the digest is known after `up`.
        build_on_preview=False,
        opts=opts,
    )


def image_refs(
    config: EstateConfig,
    secrets: EstateSecrets,
    project_dir: Path | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, pulumi.Input[str]]:
    """Image key -> what workloads run: the pinned reference, or `repository@digest` of the
    build for keys under `images.build`. Only keys some enabled workload uses are built."""
    refs: dict[str, pulumi.Input[str]] = dict(config.images.pinned)
    build = config.images.build
    if build is None:
        return refs
    password = secrets.get("registryPassword")
    if password is None:
        # required_secrets asks for it whenever builds are configured; this guards direct callers.
        raise ValueError("shiksha-setu:registryPassword: required to push images.build to the registry")
    used = {spec.image for spec in config.enabled_workloads.values()}
    # Relative paths are relative to the Pulumi project (this repository), wherever pulumi runs.
    base = project_dir or PROJECT_DIR
    for key, image in build.images.items():
        if key not in used:
            continue
        built = build_image(key, image, build, config.version, password, base, opts)
        refs[key] = pulumi.Output.concat(image.repository, "@", built.digest)
    return refs
