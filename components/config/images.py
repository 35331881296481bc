"""Image references: pinned (by digest or explicit version tag) or built by the stack."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import StrictModel

_REF = re.compile(
    r"^(?P<repo>[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


def _check_ref(value: str) -> str:
    match = _REF.match(value)
    if not match:
        raise ValueError("expected an image reference such as registry/name:1.2.3 or name@sha256:<64 hex>")
    tag, digest = match.group("tag"), match.group("digest")
    if digest is None and (tag is None or tag == "latest"):
        raise ValueError("expected an image pinned by digest or an explicit version tag, never latest or untagged")
    return value


PinnedImage = Annotated[str, AfterValidator(_check_ref)]


class ImagesSpec(StrictModel):
    """`pinned` maps an image key (what workloads name in `image`) to a reference."""

    pinned: dict[str, PinnedImage] = Field(default_factory=dict)
