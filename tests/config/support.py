"""What every bad-config test asserts: the program refuses the value naming its key, and
registers nothing."""

from __future__ import annotations

from typing import Any

from components.config.errors import ConfigError
from tests.support.program import run_program

P = "shiksha-setu"


def refused(overrides: dict[str, Any], key: str, words: str) -> str:
    """Runs prod with `overrides` (top-level keys without the project prefix); returns the message."""
    snapshot = run_program(
        "prod", overrides={f"{P}:{k}": v for k, v in overrides.items()}, raise_errors=False
    )
    assert isinstance(snapshot.error, ConfigError), repr(snapshot.error)
    message = str(snapshot.error)
    assert f"{P}:{key}" in message, message
    assert words in message, message
    assert all(problem.startswith(f"{P}:") for problem in snapshot.error.problems)
    assert snapshot.resources == [], "nothing may be registered when the config is bad"
    return message
