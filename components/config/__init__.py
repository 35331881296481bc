"""One pydantic model tree for the whole estate, and its loader from the stack config.

The names below are imported on first use (PEP 562): a program that takes one model of the
tree (a WorkloadSpec for a component's Args) does not load the loader and its runtime config.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import ConfigError
    from .estate import EstateConfig
    from .loader import load_estate, parse_estate
    from .secrets import EstateSecrets
    from .workloads import WorkloadSpec

_EXPORTS = {
    "ConfigError": "errors",
    "EstateConfig": "estate",
    "EstateSecrets": "secrets",
    "WorkloadSpec": "workloads",
    "load_estate": "loader",
    "parse_estate": "loader",
}

__all__ = ["ConfigError", "EstateConfig", "EstateSecrets", "WorkloadSpec", "load_estate", "parse_estate"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
