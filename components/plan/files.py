"""Files a workload gets, as data: the plan's vocabulary for config files and secret files.

No Pulumi here: a plain file's content is text, a secret file's content a SecretText
recipe; each target resolves the recipes its own way (a Kubernetes Secret, an upload
into a Docker volume).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.values.secret_text import SecretText


@dataclass(frozen=True)
class ConfigFiles:
    """Files mounted read-only at `mount_path`: a ConfigMap, or a Secret when `secret`
    (then every value is a SecretText recipe)."""

    name: str
    mount_path: str
    # Plain text (a str, or a Pulumi Input the target passes through) or a SecretText.
    files: Mapping[str, Any]
    secret: bool = False

    def secret_values(self) -> dict[str, SecretText]:
        values = {k: v for k, v in self.files.items() if isinstance(v, SecretText)}
        if len(values) != len(self.files):
            raise TypeError(f"secret files {self.name!r}: every value must be a SecretText")
        return values

    def plain_values(self) -> dict[str, Any]:
        values = {k: v for k, v in self.files.items() if not isinstance(v, SecretText)}
        if len(values) != len(self.files):
            raise TypeError(f"files {self.name!r}: a SecretText belongs in secret files")
        return values
