"""ingress-nginx mode through Traefik v3.6.12's `kubernetesIngressNGINX` provider (made for
migrations off the retired ingress-nginx), with the estate's Ingresses and headers
ConfigMaps unchanged. What the provider honours is proven with live traffic; what it
ignores (docs/edge.md: custom-headers, limit-rps/-connections, proxy timeouts,
denylist-source-range) is shown here too, so the table there stays true."""

from __future__ import annotations

import time

import pytest

from .estate import LiveEdge
from .traefik import wait_until

pytestmark = [pytest.mark.traefik, pytest.mark.apiserver, pytest.mark.slow]


@pytest.fixture(scope="module")
def edge(ingress_nginx_edge: LiveEdge) -> LiveEdge:
    return ingress_nginx_edge


def test_the_controller_takes_every_ingress(edge: LiveEdge, address: str) -> None:
    """Ingresses have no conditions; the controller's mark is the address it publishes."""
    names = [o["metadata"]["name"] for o in edge.objects if o["kind"] == "Ingress"]
    assert {"shiksha-setu", "shiksha-setu-ml", "shiksha-setu-streaming", "shiksha-setu-blocked"} <= set(names)
    for name in names:

        def published(name: str = name) -> bool:
            lb = (edge.live("Ingress", name).get("status") or {}).get("loadBalancer") or {}
            return [i.get("ip") for i in lb.get("ingress") or []] == [address]

        wait_until(f"Ingress {name} status address {address}", published, 60, edge.traefik.tail)


# --- what the provider ignores (documented in docs/edge.md) ------------------------------


def test_gap_the_custom_headers_configmap_is_ignored(edge: LiveEdge) -> None:
    """ingress-nginx sets the security headers from the custom-headers ConfigMap; Traefik's
    provider has no such annotation, so no security header and no Cache-Control by class."""
    status, headers, _ = edge.get("/assets/app.3f9a.js")
    assert status == 200
    assert "strict-transport-security" not in headers
    assert "content-security-policy" not in headers
    assert "cache-control" not in headers


def test_gap_blocked_paths_reach_a_backend(edge: LiveEdge) -> None:
    """denylist-source-range is not supported: the -blocked Ingress proxies to the backend
    its path names. Through Traefik the ingress-nginx mode does NOT keep exploit probes off
    the workloads; use gateway-api mode with the traefik provider."""
    before = edge.seen()
    status, headers, _ = edge.get("/wp-admin/setup.php")
    assert (status, headers.get("x-upstream")) == (200, "api")
    assert edge.reached_since(before) == {"api": ["/wp-admin/setup.php"]}


def test_gap_rate_limits_are_not_enforced(edge: LiveEdge) -> None:
    """limit-rps 2 with a burst multiplier of 2: ingress-nginx would refuse most of 30
    back-to-back requests; Traefik's provider passes them all."""
    statuses = [edge.get("/api/v1/burst")[0] for _ in range(30)]
    assert statuses == [200] * 30


def test_gap_proxy_timeouts_are_not_applied(edge: LiveEdge) -> None:
    """proxy-read-timeout 2 on the main Ingress: a 3 s upstream still answers 200."""
    start = time.monotonic()
    status, _, _ = edge.get("/api/v1/slow?sleep=3", timeout=30)
    assert status == 200
    assert time.monotonic() - start >= 3
