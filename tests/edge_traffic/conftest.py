"""The live edge tests' session: tests/apiserver's throwaway control plane with the
Gateway API and Traefik CRDs, one Traefik per mode serving the estate's edge, all on one
xdist worker; the Traefik binary and CRDs come from scripts/setup-test-tools.sh."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The API server tests' session control plane, shared (one per xdist worker at most).
from tests.apiserver.conftest import control_plane  # noqa: F401
from tests.apiserver.controlplane import ControlPlane
from tests.apiserver.kube import Kube
from tests.support.tools import require_tool, xdist_group_folder

from .estate import LiveEdge, live_edge
from .traefik import Cluster, install_crds, local_address, private_network_namespace

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One worker runs every test here, so one control plane and one Traefik per mode serve all.
    xdist_group_folder(config, items, HERE, "edge_traffic")


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
def cluster(address: str, control_plane: ControlPlane, traefik_bin: str) -> Cluster:  # noqa: F811
    """The API server (tests/apiserver's session control plane) with the Gateway API and
    Traefik CRDs installed. `address` first: in a private network namespace the control
    plane must start there too."""
    del address
    kube = Kube(control_plane.kubeconfig, control_plane.workdir)
    install_crds(kube, traefik_bin)
    return Cluster(kube, control_plane.kubeconfig)


# Gateway API mode: prod's edge with policyProvider traefik; timeouts shortened so a slow
# upstream can outlast them in a test (prod: 60 s, 600 s, 3600 s).
GATEWAY_NS = "edge-gateway"
GATEWAY_OVERRIDES = {
    "edge": {
        "timeouts": {
            "readSeconds": 2,
            "sendSeconds": 2,
            "mlReadSeconds": 5,
            "mlSendSeconds": 5,
            "streamReadSeconds": 30,
        }
    }
}
# ingress-nginx mode: low limits and a short read timeout, so that a controller honouring
# them would refuse the bursts and cut the slow answers of test_ingress_nginx_live.py.
INGRESS_NGINX_NS = "edge-ingress-nginx"
INGRESS_NGINX_OVERRIDES = {
    "edge": {
        "rateLimits": {"requestsPerSecond": 2, "burstMultiplier": 2, "connectionsPerClient": 2},
        "timeouts": {"readSeconds": 2, "sendSeconds": 2, "mlReadSeconds": 5, "mlSendSeconds": 5},
    }
}


def _serve(
    mode: str, namespace: str, overrides: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[LiveEdge]:
    tmp = request.getfixturevalue("tmp_path_factory").mktemp(f"traefik-{mode}")
    args = [request.getfixturevalue(name) for name in ("cluster", "traefik_bin", "address")]
    with live_edge(*args, tmp, mode, namespace, overrides) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_edge(request: pytest.FixtureRequest) -> Iterator[LiveEdge]:
    yield from _serve("gateway-api", GATEWAY_NS, GATEWAY_OVERRIDES, request)


@pytest.fixture(scope="session")
def ingress_nginx_edge(request: pytest.FixtureRequest) -> Iterator[LiveEdge]:
    yield from _serve("ingress-nginx", INGRESS_NGINX_NS, INGRESS_NGINX_OVERRIDES, request)
