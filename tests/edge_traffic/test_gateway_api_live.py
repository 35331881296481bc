"""gateway-api mode, policyProvider `traefik`: the estate's own Gateway, HTTPRoutes and
Middlewares served by a real Traefik v3.6.12 with live traffic. Every backend records each
request it receives, so "never reached a backend" is observed, not assumed.

Expected values are the config's (prod defaults, timeouts shortened) written out here."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.ingress.support import BLOCKED
from tests.nginx import harness

from .conftest import GATEWAY_NS
from .estate import HOST, LiveEdge
from .traefik import apply, conditions, route_conditions, wait_until

pytestmark = [pytest.mark.traefik, pytest.mark.apiserver, pytest.mark.slow]

SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(self), geolocation=(), payment=()",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' wss:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; upgrade-insecure-requests"
    ),
}
ORIGIN = "https://shikshasetu.example.org"
# prod's limits: 20 r/s per client, burst 5 x 20, 20 requests in progress per client.
RATE, BURST, IN_FLIGHT = 20, 100, 20


@pytest.fixture(scope="module")
def edge(gateway_edge: LiveEdge) -> LiveEdge:
    return gateway_edge


def _headers_exact(headers: dict[str, str], context: Any) -> None:
    assert {k: headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, context


# --- the controller's verdicts ----------------------------------------------------------


def test_the_controller_accepts_every_object(edge: LiveEdge) -> None:
    kube = edge.cluster.kube

    def gateway_class() -> bool:
        body = kube.get(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "GatewayClass",
                "metadata": {"name": "traefik"},
            }
        ).body
        return conditions(body).get("Accepted", {}).get("status") == "True"

    wait_until("GatewayClass traefik Accepted", gateway_class, 60, edge.traefik.tail)

    def gateway() -> bool:
        found = conditions(edge.live("Gateway", "shiksha-setu"))
        return all(found.get(c, {}).get("status") == "True" for c in ("Accepted", "Programmed"))

    wait_until("Gateway shiksha-setu Accepted and Programmed", gateway, 60, edge.traefik.tail)
    for name in ("shiksha-setu", "shiksha-setu-http-redirect"):

        def route(name: str = name) -> bool:
            found = route_conditions(edge.live("HTTPRoute", name))
            return all(found.get(c, {}).get("status") == "True" for c in ("Accepted", "ResolvedRefs"))

        wait_until(
            f"HTTPRoute {name} Accepted and ResolvedRefs from {edge.traefik.process.args[0]}",
            route,
            60,
            lambda name=name: str(edge.live("HTTPRoute", name).get("status")),  # type: ignore[misc]
        )


def test_a_broken_reference_is_reported_in_status(edge: LiveEdge) -> None:
    """Not the estate's object: a route naming a Service that does not exist."""
    broken = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "broken-ref", "namespace": GATEWAY_NS},
        "spec": {
            "parentRefs": [{"name": "shiksha-setu", "sectionName": "https-0"}],
            "hostnames": [HOST],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/broken"}}],
                    "backendRefs": [{"name": "no-such-service", "port": 80}],
                }
            ],
        },
    }
    apply(edge.cluster.kube, [broken])

    def reported() -> dict[str, Any] | None:
        found = route_conditions(edge.cluster.kube.get(broken).body).get("ResolvedRefs")
        return found if found and found["status"] == "False" else None

    condition = wait_until(
        "ResolvedRefs False on HTTPRoute broken-ref",
        reported,
        60,
        lambda: str(edge.cluster.kube.get(broken).body),
    )
    assert condition["reason"] == "BackendNotFound", condition
    assert "no-such-service" in condition["message"]
    # Until Traefik loads the route, "/" serves /broken; then the broken backend answers 500.
    wait_until("a 500 for /broken", lambda: edge.get("/broken")[0] == 500, 30, edge.traefik.tail)
    before = edge.seen()
    assert edge.get("/broken")[0] == 500
    assert edge.reached_since(before) == {}


# --- HTTP, TLS and routing --------------------------------------------------------------


# --- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "cache_control", "vary"),
    [
        ("/api/v1/lessons", 200, "no-store", "Accept-Encoding, Origin"),
        ("/api/missing/lesson", 404, "no-store", "Accept-Encoding, Origin"),
        ("/", 200, "no-cache", "Accept-Encoding, Origin"),
        ("/assets/app.3f9a.js", 200, "public, max-age=31536000, immutable", "Accept-Encoding, Origin"),
        ("/wp-admin/setup.php", 403, "no-store", None),
    ],
)
def test_every_security_header_and_the_cache_class_on_each_kind_of_answer(
    edge: LiveEdge, path: str, status: int, cache_control: str, vary: str | None
) -> None:
    got, headers, _ = edge.get(path)
    assert got == status, path
    _headers_exact(headers, (path, got))
    assert headers.get("cache-control") == cache_control, path
    assert headers.get("vary") == vary, path


# --- blocked paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [*BLOCKED, "/wp-admin/setup.php", "/.git/config", "/phpMyAdmin/index.php", "/.env?x=1", "/cgi-bin/a.cgi"],
)
def test_blocked_paths_are_refused_by_traefik_with_the_headers_and_never_reach_a_backend(
    edge: LiveEdge, path: str
) -> None:
    before = edge.seen()
    for method in ("GET", "POST", "OPTIONS"):
        status, headers, _ = edge.get(path, method=method)
        assert status == 403, (method, path)
        _headers_exact(headers, (method, path))
    assert edge.reached_since(before) == {}


def test_a_case_variant_not_in_the_list_is_an_ordinary_path(edge: LiveEdge) -> None:
    """Gateway API prefixes are case-sensitive (docs/edge.md): /PHPMYADMIN is not blocked."""
    before = edge.seen()
    assert edge.get("/PHPMYADMIN")[0] == 200
    assert edge.reached_since(before) == {"frontend": ["/PHPMYADMIN"]}


# --- limits -----------------------------------------------------------------------------


def _hammer(
    edge: LiveEdge, path: str, threads: int, until: float, stop_after_429: int
) -> list[tuple[int, dict[str, str]]]:
    """Requests on kept-alive connections from `threads` threads until `until` (monotonic)
    or enough 429s: (status, headers) of each answer."""
    answers: list[tuple[int, dict[str, str]]] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = harness.EdgeConnection(edge.traefik.websecure_port, edge.cafile, timeout=10)
        try:
            while time.monotonic() < until:
                with lock:
                    if sum(s == 429 for s, _ in answers) >= stop_after_429:
                        return
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                with lock:
                    answers.append((response.status, {k.lower(): v for k, v in response.getheaders()}))
        finally:
            conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    return answers


def test_a_burst_over_the_rate_gets_429s_and_requests_under_it_all_pass(edge: LiveEdge) -> None:
    time.sleep(BURST / RATE + 0.5)  # the client's bucket is full again
    # Under the rate: 10 requests at 5 per second all pass.
    paced = []
    for _ in range(10):
        paced.append(edge.get("/api/v1/paced")[0])
        time.sleep(0.2)
    assert paced == [200] * 10

    time.sleep(BURST / RATE + 0.5)
    before = edge.seen()
    start = time.monotonic()
    answers = _hammer(edge, "/api/v1/burst", threads=8, until=start + 30, stop_after_429=50)
    elapsed = time.monotonic() - start
    statuses = [s for s, _ in answers]
    passed = statuses.count(200)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(429) >= 50, f"{len(statuses)} requests in {elapsed:.1f} s: {passed} passed"
    # The bucket admits its burst plus the rate over the time taken, and no more.
    assert BURST * 0.9 <= passed <= BURST + RATE * elapsed + 5, (passed, elapsed)
    assert len(edge.reached_since(before).get("api", [])) == passed
    for status, headers in answers:
        if status == 429:
            _headers_exact(headers, "429 from the rate limit")


def test_more_requests_in_progress_than_the_limit_get_429(edge: LiveEdge) -> None:
    time.sleep(BURST / RATE + 0.5)
    results: list[tuple[int, dict[str, str]]] = []
    lock = threading.Lock()

    def slow() -> None:
        status, headers, _ = edge.get("/api/v1/slow?sleep=3", timeout=30)
        with lock:
            results.append((status, headers))

    threads = [threading.Thread(target=slow) for _ in range(IN_FLIGHT + 10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(s for s, _ in results)
    assert len(statuses) == IN_FLIGHT + 10
    assert statuses.count(429) >= 1, statuses
    assert statuses.count(200) <= IN_FLIGHT, statuses
    for status, headers in results:
        if status == 429:
            _headers_exact(headers, "429 from the in-flight limit")


# --- CORS -------------------------------------------------------------------------------


def test_the_preflight_answer_carries_the_security_headers(edge: LiveEdge) -> None:
    status, headers, _ = edge.get(
        "/api/v1/lessons", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}, method="OPTIONS"
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == ORIGIN
    _headers_exact(headers, "preflight")


# --- timeouts ---------------------------------------------------------------------------


def test_http_route_timeouts_are_not_applied_by_traefik(edge: LiveEdge) -> None:
    """Documented gap (docs/edge.md): Traefik v3.6.12's Gateway provider has no code for
    HTTPRoute `timeouts`. The route says 2 s (readSeconds, shortened); a 3 s upstream
    still answers 200, where Envoy Gateway answers 504 after 2 s."""
    start = time.monotonic()
    status, _, _ = edge.get("/api/v1/slow?sleep=3", timeout=30)
    elapsed = time.monotonic() - start
    assert status == 200
    assert elapsed >= 3


def test_the_other_providers_blocked_rule_answers_503_with_the_headers(edge: LiveEdge) -> None:
    """The blocked rule of the envoy-gateway and none providers (no backendRefs, the header
    filter alone) on Traefik: 503 (Gateway API's conformance text says 500), every header,
    no backend. A test-owned route of exactly that shape."""
    bare = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "bare-blocked", "namespace": GATEWAY_NS},
        "spec": {
            "parentRefs": [{"name": "shiksha-setu", "sectionName": "https-0"}],
            "hostnames": [HOST],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/bare-blocked"}}],
                    "filters": [
                        {
                            "type": "ResponseHeaderModifier",
                            "responseHeaderModifier": {
                                "set": [{"name": k, "value": v} for k, v in SECURITY_HEADERS.items()]
                            },
                        }
                    ],
                }
            ],
        },
    }
    apply(edge.cluster.kube, [bare])
    wait_until("Traefik's own answer for /bare-blocked", lambda: edge.get("/bare-blocked")[0] != 200, 30, str)
    before = edge.seen()
    status, headers, _ = edge.get("/bare-blocked")
    assert status == 503
    _headers_exact(headers, "a rule without backends")
    assert edge.reached_since(before) == {}
