"""Turns validation failures into messages that name the stack config key."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ConfigError(ValueError):
    """Bad stack configuration; raised before any resource is registered."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def config_key(project: str, loc: tuple[Any, ...]) -> str:
    """`("workloads", "api", "replicas")` -> `shiksha-setu:workloads.api.replicas`."""
    head, *rest = [str(part) for part in loc] or ["<root>"]
    path = head
    for part in rest:
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return f"{project}:{path}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_validation_error(project: str, error: ValidationError) -> ConfigError:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if not loc:
            # Cross-field checks on the root name their own key path in the message.
            problems.append(f"{project}:{message}")
        elif item["type"] == "extra_forbidden":
            problems.append(f"{config_key(project, loc)}: unknown key (not part of the estate model)")
        elif item["type"] == "missing":
            problems.append(f"{config_key(project, loc)}: required key is missing")
        elif isinstance(item.get("input"), dict):
            problems.append(f"{config_key(project, loc)}: {message}")
        else:
            problems.append(f"{config_key(project, loc)}: got {_short(item.get('input'))}: {message}")
    return ConfigError(problems)
