"""One throwaway control plane (tests/apiserver/controlplane.py) for the live edge tests,
on one xdist worker, and the Traefik binary and CRDs scripts/setup-test-tools.sh builds."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apiserver.controlplane import ControlPlane, ControlPlaneError, missing_binaries
from tests.apiserver.kube import Kube
from tests.support.tools import require_tool

from .traefik import Cluster, install_crds, local_address, private_network_namespace

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One worker runs every test here, so one control plane serves both modes.
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            if HERE in item.path.parents:
                item.add_marker(pytest.mark.xdist_group("edge_traffic"))


def _missing(message: str) -> None:
    # `make test` builds everything first, so in CI a missing piece is a broken build.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def traefik_bin() -> str:
    return require_tool("traefik")


@pytest.fixture(scope="session")
def address() -> str:
    """Where the backends listen: the API server refuses loopback in an EndpointSlice. On a
    machine without such an address (or with SHIKSHA_EDGE_NETNS=1) the whole session moves
    into a network namespace of its own with a dummy interface, so no packet can leave."""
    found = None if os.environ.get("SHIKSHA_EDGE_NETNS") == "1" else local_address()
    if found is not None:
        return found
    try:
        return private_network_namespace()
    except (OSError, subprocess.CalledProcessError) as e:
        _missing(f"no non-loopback IPv4 address here, and no private network namespace: {e}")
        raise


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory, traefik_bin: str, address: str) -> Iterator[Cluster]:
    """`address` first: in a private network namespace the control plane must live there too."""
    del address
    """The API server with the Gateway API and Traefik CRDs installed."""
    missing = missing_binaries()
    if missing:
        _missing(f"{', '.join(missing)} not on PATH: build them with `bash tools/kube/bootstrap.sh`")
    cp = ControlPlane(tmp_path_factory.mktemp("edge-controlplane"))
    try:
        try:
            cp.start()
        except ControlPlaneError as e:
            pytest.fail(f"control plane did not start: {e}")
        kube = Kube(cp.kubeconfig, cp.workdir)
        install_crds(kube, traefik_bin)
        yield Cluster(kube, cp.kubeconfig)
    finally:
        cp.stop()
