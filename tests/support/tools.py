"""Finding the real tools the tests drive; in CI a missing tool is a failure, never a skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# One port; kept importable here for the tests that take theirs from this module. Several
# servers' ports come from one tests.support.ports.free_ports(n) call.
from tests.support.ports import free_port, free_ports  # noqa: F401

CACHE_BIN = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu")) / "bin"
VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def require_tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=f"{CACHE_BIN}:{VENV_BIN}")
    if path:
        return path
    message = f"{name} is not installed; `make setup` installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def xdist_group_folder(config: pytest.Config, items: list[pytest.Item], folder: Path, group: str) -> None:
    """Every test under `folder` on one xdist worker (`--dist loadgroup`), so its session
    fixtures (a control plane, a proxy) start once. The marker exists only with xdist."""
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            if folder in item.path.parents:
                item.add_marker(pytest.mark.xdist_group(group))
