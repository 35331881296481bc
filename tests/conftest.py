"""Shared fixtures: the estate of each stack as the real program registers it under mocks."""

from __future__ import annotations

import pytest

from tests.support.program import Snapshot, run_program
from tests.support.xdist_groups import apply_groups


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Last, after the folder conftests have added their xdist_group markers.
    apply_groups(config, items)


@pytest.fixture(scope="session")
def prod() -> Snapshot:
    return run_program("prod")


@pytest.fixture(scope="session")
def local() -> Snapshot:
    return run_program("local")


@pytest.fixture(scope="session", params=["prod", "local"])
def estate(request: pytest.FixtureRequest, prod: Snapshot, local: Snapshot) -> Snapshot:
    return {"prod": prod, "local": local}[request.param]
