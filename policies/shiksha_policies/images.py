"""Image reference parsing shared by the Kubernetes and Docker pinning rules."""

from __future__ import annotations

import re

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")


def tag_of(ref: str) -> str | None:
    """The tag of an image reference, or None when it has none (a registry port is not a tag)."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def pinning_problem(ref: str) -> str | None:
    """Why a reference is not pinned, or None when it is pinned by digest or explicit version."""
    if _DIGEST.search(ref) or _IMAGE_ID.match(ref):
        return None
    tag = tag_of(ref)
    if tag is None:
        return f"{ref!r} has no tag (resolves to latest); pin a version tag or a digest"
    if tag.lower() == "latest":
        return f"{ref!r} uses the latest tag; pin a version tag or a digest"
    if tag == "":
        return f"{ref!r} has an empty tag"
    return None
