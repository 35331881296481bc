"""ingress-nginx mode through Traefik v3.6.12's `kubernetesIngressNGINX` provider (made for
migrations off the retired ingress-nginx), with the estate's Ingresses and headers
ConfigMaps unchanged. What the provider honours is proven with live traffic; what it
ignores (docs/edge.md: custom-headers, limit-rps/-connections, proxy timeouts,
denylist-source-range) is shown here too, so the table there stays true."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .estate import LiveEdge, live_edge
from .traefik import Cluster, wait_until

pytestmark = [pytest.mark.traefik, pytest.mark.apiserver, pytest.mark.slow]

NS = "edge-ingress-nginx"
ORIGIN = "https://shikshasetu.example.org"
# Low limits and a short read timeout, so that a controller honouring them would refuse
# the bursts and cut the slow answers below.
OVERRIDES = {
    "edge": {
        "rateLimits": {"requestsPerSecond": 2, "burstMultiplier": 2, "connectionsPerClient": 2},
        "timeouts": {"readSeconds": 2, "sendSeconds": 2, "mlReadSeconds": 5, "mlSendSeconds": 5},
    }
}


@pytest.fixture(scope="module")
def edge(
    cluster: Cluster, traefik_bin: str, address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveEdge]:
    directory = tmp_path_factory.mktemp("traefik-ingress-nginx")
    with live_edge(cluster, traefik_bin, address, directory, "ingress-nginx", NS, OVERRIDES) as running:
        yield running


def test_the_controller_takes_every_ingress(edge: LiveEdge, address: str) -> None:
    """Ingresses have no conditions; the controller's mark is the address it publishes."""
    names = [o["metadata"]["name"] for o in edge.objects if o["kind"] == "Ingress"]
    assert {"shiksha-setu", "shiksha-setu-ml", "shiksha-setu-streaming", "shiksha-setu-blocked"} <= set(names)
    for name in names:

        def published(name: str = name) -> bool:
            lb = (edge.live("Ingress", name).get("status") or {}).get("loadBalancer") or {}
            return [i.get("ip") for i in lb.get("ingress") or []] == [address]

        wait_until(f"Ingress {name} status address {address}", published, 60, edge.traefik.tail)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/lessons?page=2"), ("POST", "/wp-admin"), ("GET", "/")]
)
def test_plain_http_answers_only_a_permanent_redirect_to_https(
    edge: LiveEdge, method: str, path: str
) -> None:
    # 308 (permanent, the method kept), as ingress-nginx's own default http-redirect-code.
    edge.assert_redirects(method, path, (308,))


def test_tls_terminates_with_the_estate_certificate_secret(edge: LiveEdge) -> None:
    edge.assert_serves_the_secret_certificate()


@pytest.mark.parametrize(
    ("path", "workload"),
    [
        ("/api/v1/lessons", "api"),
        ("/api/v2/ml/predict", "api"),
        ("/ws/info", "api"),
        ("/", "frontend"),
        ("/assets/app.3f9a.js", "frontend"),
        ("/apiary", "frontend"),
    ],
)
def test_each_path_reaches_the_workload_the_estate_routes_it_to(
    edge: LiveEdge, path: str, workload: str
) -> None:
    edge.assert_reaches(path, workload)


def test_sse_arrives_event_by_event(edge: LiveEdge) -> None:
    edge.assert_streams_events()


def test_a_websocket_upgrade_echoes(edge: LiveEdge) -> None:
    edge.assert_websocket_echoes()


def test_cors_preflight_allowed_and_disallowed_origin(edge: LiveEdge) -> None:
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"}
    before = edge.seen()
    status, headers, _ = edge.get("/api/v1/lessons", {"Origin": ORIGIN, **ask}, method="OPTIONS")
    assert status in (200, 204), status
    assert headers.get("access-control-allow-origin") == ORIGIN
    assert headers.get("access-control-allow-credentials") == "true"
    assert headers.get("access-control-max-age") == "600"
    assert edge.reached_since(before) == {}
    _, headers, _ = edge.get(
        "/api/v1/lessons", {"Origin": "https://evil.example.com", **ask}, method="OPTIONS"
    )
    assert "access-control-allow-origin" not in headers, headers


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
