"""Figures the API server tests measure (startup, apply, pulumi), printed as they come."""

from __future__ import annotations

import pytest

FIGURES: list[str] = []


def say(config: pytest.Config, line: str) -> None:
    """Startup and apply times, shown at once and again in the summary (output capture
    would otherwise hide them)."""
    FIGURES.append(line)
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n{line}")
