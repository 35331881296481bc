"""The API server tests' control plane fixtures (a control plane of this folder's own), and
their xdist group, so no two control planes start at once on one machine's two cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apiserver.conftest import control_plane, kube
from tests.support.tools import xdist_group_folder

__all__ = ["control_plane", "kube"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xdist_group_folder(config, items, Path(__file__).parent, "apiserver")
