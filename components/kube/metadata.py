"""Object metadata shared by every kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

# Where nothing will ever report the object ready (a render target, a cluster without
# kubelets or controllers), `pulumi up` is told not to wait for it.
SKIP_AWAIT = "pulumi.com/skipAwait"


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
