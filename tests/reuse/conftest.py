"""The API server tests' control plane, shared: these tests join their xdist group, so one
worker starts one control plane for both folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apiserver.conftest import control_plane, kube
from tests.support.tools import xdist_group_folder

__all__ = ["control_plane", "kube"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xdist_group_folder(config, items, Path(__file__).parent, "apiserver")
