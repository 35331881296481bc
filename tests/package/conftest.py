"""The package tests share one control plane: every test here on one xdist worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tools import xdist_group_folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xdist_group_folder(config, items, Path(__file__).parent, "package")
