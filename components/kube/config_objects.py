"""ConfigMaps and Secrets, and the checksum that rolls pods when their config changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi


def config_checksum(*files: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """sha256 over the plain (non-secret) config a pod mounts, stable across key order."""

    def digest(values: list[Any]) -> str:
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()

    flat = [dict(f) for f in files]
    return pulumi.Output.from_input(flat).apply(digest)
