"""ConfigMaps and Secrets, and the checksum that rolls pods when their config changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi


def _digest(values: list[Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def config_checksum(*files: Mapping[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """sha256 over the plain (non-secret) config a pod mounts, stable across key order."""
    flat = [dict(f) for f in files]
    if all(isinstance(v, str) for f in flat for v in f.values()):
        # Rendered config is plain text: hash it now rather than through an Output chain,
        # which costs the runtime a task per workload for nothing.
        return _digest(flat)
    return pulumi.Output.from_input(flat).apply(_digest)
