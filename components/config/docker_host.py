"""The single-host Docker target."""

from __future__ import annotations

from .base import StrictModel


class DockerHostSpec(StrictModel):
    pass
