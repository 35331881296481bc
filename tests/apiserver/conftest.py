"""Session fixtures: one control plane for all API server tests, and the prod estate
applied to it once (the tests then judge that one apply)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.program import Snapshot
from tests.support.tools import xdist_group_folder

from .controlplane import ControlPlane, ControlPlaneError, missing_binaries
from .estate import AppliedEstate, apply_all, crds_for, ident, manifests, wait_for_crds
from .figures import FIGURES, say
from .kube import Kube

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One xdist worker runs every test here, so the session starts one control plane
    # rather than one per worker.
    xdist_group_folder(config, items, HERE, "apiserver")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("API server figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def control_plane(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[ControlPlane]:
    missing = missing_binaries()
    if missing:
        msg = f"{', '.join(missing)} not on PATH: build them with `bash tools/kube/bootstrap.sh`"
        # CI runs the bootstrap before the tests, so a missing binary there is a broken
        # build, not an optional tool.
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    cp = ControlPlane(tmp_path_factory.mktemp("controlplane"))
    try:
        try:
            cp.start()
        except ControlPlaneError as e:
            pytest.fail(f"control plane did not start: {e}")
        t = cp.timings
        say(
            pytestconfig,
            f"control plane up in {t['total']:.1f} s (pki {t['pki']:.1f}, etcd {t['etcd']:.1f}, "
            f"kube-apiserver {t['kube-apiserver']:.1f}, kube-controller-manager "
            f"{t['kube-controller-manager']:.1f}) at {cp.server}, kubeconfig {cp.kubeconfig}",
        )
        yield cp
    finally:
        cp.stop()


@pytest.fixture(scope="session")
def kube(control_plane: ControlPlane) -> Kube:
    return Kube(control_plane.kubeconfig, control_plane.workdir)


@pytest.fixture(scope="session")
def applied(kube: Kube, prod: Snapshot, pytestconfig: pytest.Config) -> AppliedEstate:
    """The prod estate applied twice with server-side apply (the second apply must be a no-op)."""
    objects = manifests(prod)
    prerequisites = crds_for(objects)
    for crd in prerequisites:
        response = kube.apply(crd)
        assert response.status < 300, f"{ident(crd)}: {response.message}"
    if prerequisites:
        wait_for_crds(kube, prerequisites)
    t0 = time.monotonic()
    first = apply_all(kube, objects)
    seconds = time.monotonic() - t0
    second = apply_all(kube, objects)
    say(pytestconfig, f"prod estate: {len(objects)} objects applied in {seconds:.1f} s (server-side apply)")
    return AppliedEstate(objects, first, second, seconds)
