"""The package tests share one control plane (the API server tests' fixtures, a control plane
of this folder's own): every test here on one xdist worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apiserver.conftest import control_plane, kube  # noqa: F401 (fixtures)
from tests.support.tools import xdist_group_folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xdist_group_folder(config, items, Path(__file__).parent, "package")
