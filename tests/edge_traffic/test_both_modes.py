"""What the edge does the same way in both modes, proven through Traefik with live traffic:
gateway-api (policyProvider traefik) and ingress-nginx (Traefik's ingress-nginx provider,
the estate's Ingresses unchanged). Every backend records each request it receives."""

from __future__ import annotations

import pytest

from .estate import LiveEdge

pytestmark = [pytest.mark.traefik, pytest.mark.apiserver, pytest.mark.slow]

ORIGIN = "https://shikshasetu.example.org"
# Gateway API's RequestRedirect with statusCode 301; ingress-nginx's (and Traefik's
# provider's) ssl-redirect answers 308.
REDIRECT = {"gateway-api": 301, "ingress-nginx": 308}


@pytest.fixture(scope="module", params=["gateway-api", "ingress-nginx"])
def edge(request: pytest.FixtureRequest) -> LiveEdge:
    name = {"gateway-api": "gateway_edge", "ingress-nginx": "ingress_nginx_edge"}[request.param]
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/lessons?page=2"), ("POST", "/wp-admin"), ("GET", "/")]
)
def test_plain_http_answers_only_a_permanent_redirect_to_https(
    edge: LiveEdge, method: str, path: str
) -> None:
    edge.assert_redirects(method, path, (REDIRECT[edge.mode],))


def test_tls_terminates_with_the_estate_certificate_secret(edge: LiveEdge) -> None:
    edge.assert_serves_the_secret_certificate()


@pytest.mark.parametrize(
    ("path", "workload"),
    [
        ("/api/v1/lessons", "api"),
        ("/api/v2/ml/predict", "api"),
        ("/api/v2/chat/history", "api"),
        ("/ws/info", "api"),
        ("/", "frontend"),
        ("/lessons/12", "frontend"),
        ("/assets/app.3f9a.js", "frontend"),
        # A prefix matches whole path elements: /apiary is the frontend's, not /api's.
        ("/apiary", "frontend"),
    ],
)
def test_each_path_reaches_the_workload_the_estate_routes_it_to(
    edge: LiveEdge, path: str, workload: str
) -> None:
    edge.assert_reaches(path, workload)


def test_the_stream_path_wins_over_api_and_arrives_event_by_event(edge: LiveEdge) -> None:
    edge.assert_streams_events()


def test_a_websocket_upgrade_on_the_websocket_path_echoes(edge: LiveEdge) -> None:
    edge.assert_websocket_echoes()


def _preflight(edge: LiveEdge, origin: str) -> dict[str, str]:
    before = edge.seen()
    status, headers, _ = edge.get(
        "/api/v1/lessons",
        {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
        method="OPTIONS",
    )
    assert status == 200, (origin, status)
    # Traefik answers the preflight itself.
    assert edge.reached_since(before) == {}
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


def test_a_preflight_from_an_allowed_origin_gets_the_configured_headers(edge: LiveEdge) -> None:
    assert _preflight(edge, ORIGIN) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        "access-control-allow-headers": "Authorization,Content-Type,X-Request-ID",
        "access-control-max-age": "600",
    }


def test_a_disallowed_origin_gets_no_allow_origin(edge: LiveEdge) -> None:
    """No Access-Control-Allow-Origin, the header a browser checks, so it refuses the call.
    Traefik still sends its other CORS headers (methods, headers, credentials, max-age) on
    every preflight: documented in docs/edge.md, not a grant."""
    cors = _preflight(edge, "https://evil.example.com")
    assert "access-control-allow-origin" not in cors, cors
    # An actual request from it is served, without the allow-origin: the browser refuses it.
    status, headers, _ = edge.get("/api/v1/lessons", {"Origin": "https://evil.example.com"})
    assert status == 200
    assert "access-control-allow-origin" not in headers
