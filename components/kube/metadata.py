"""Object metadata shared by every kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi


def metadata(
    name: str,
    namespace: pulumi.Input[str] | None,
    labels: Mapping[str, str],
    annotations: Mapping[str, pulumi.Input[str]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
