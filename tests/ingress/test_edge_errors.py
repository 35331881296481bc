"""Bad edge input is refused before anything is registered, with the config key named."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from tests.support.program import run_program


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"edge": {"hosts": ["Shiksha_Setu.example.org"]}},
            "shiksha-setu:edge.hosts[0]: got 'Shiksha_Setu.example.org'",
        ),
        ({"edge": {"hosts": ["localhost"]}}, "shiksha-setu:edge.hosts[0]: got 'localhost'"),
        (
            {"edge": {"cors": {"allowedOrigins": ["*"], "allowCredentials": True}}},
            "shiksha-setu:edge.cors: a wildcard origin '*' cannot be combined with allowCredentials: true",
        ),
        ({"edge": {"timeouts": {"mlReadSeconds": 0}}}, "shiksha-setu:edge.timeouts.mlReadSeconds: got 0"),
        ({"edge": {"timeouts": {"readSeconds": -5}}}, "shiksha-setu:edge.timeouts.readSeconds: got -5"),
        (
            {"edge": {"routes": {"/app": {"port": "http"}}}},
            'shiksha-setu:edge.routes["/app"].backend: required key is missing',
        ),
        (
            {"edge": {"routes": [{"path": "/api", "backend": "api"}]}},
            "shiksha-setu:edge.routes: got [{'path': '/api', 'backend': 'api'}]: edge.routes is a map keyed "
            "by path, merged over the default routes (a list no longer replaces them): write `routes: "
            '{"/api": {"backend": "api"}}`; the defaults you did not list stay (/ws, /) unless you write '
            "`null` for their path",
        ),
        (
            {"edge": {"routes": {"/api": None, "/ws": None, "/": None, "/app": {"backend": "frontend"}}}},
            "shiksha-setu:edge.mlPaths[0]: got '/api/v2/ml': no edge.routes prefix serves it",
        ),
        (
            {"edge": {"routes": {"/ws": None, "/": None}, "mlPaths": [], "streamPaths": []}},
            "shiksha-setu:edge.websocketPaths[0]: got '/ws': no edge.routes prefix serves it",
        ),
        (
            {"ingress": {"mode": "ingress-nginx"}, "edge": {"rateLimits": {"requestsPerSecond": 2.5}}},
            "shiksha-setu:edge.rateLimits.requestsPerSecond: got 2.5: ingress-nginx takes whole requests",
        ),
        ({"ingress": {"mode": "traefik"}}, "shiksha-setu:ingress.mode: got 'traefik'"),
        (
            {"edge": {"blockedPaths": ["/wp-admin", "wp-login.php"]}},
            "shiksha-setu:edge.blockedPaths[1]: got 'wp-login.php': expected a URL path",
        ),
        (
            {"edge": {"blockedPaths": ["/.env", "/admin(.*)"]}},
            "shiksha-setu:edge.blockedPaths[1]: got '/admin(.*)': expected a URL path",
        ),
        (
            {"edge": {"blockedPaths": [f"/probe{i}" for i in range(65)]}},
            "shiksha-setu:edge.blockedPaths",
        ),
        (
            {
                "ingress": {
                    "extraAnnotations": {
                        "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers"
                    }
                }
            },
            "shiksha-setu:ingress: extraAnnotations: got 'nginx.ingress.kubernetes.io/configuration-snippet'",
        ),
        (
            {"ingress": {"gatewayApi": {"policyProvider": "istio"}}},
            "shiksha-setu:ingress.gatewayApi.policyProvider",
        ),
    ],
)
def test_bad_edge_input_is_refused_naming_the_key(overrides: dict[str, Any], message: str) -> None:
    snapshot = run_program("prod", overrides=overrides, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError), snapshot.error
    assert any(problem.startswith(message) for problem in snapshot.error.problems), snapshot.error.problems
    assert snapshot.kubernetes_objects() == []


def test_a_fractional_rate_is_fine_where_no_controller_needs_whole_numbers() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "edge": {"rateLimits": {"requestsPerSecond": 2.5}},
            "ingress": {"gatewayApi": {"policyProvider": "none"}},
        },
    )
    assert [r for r in snapshot.kubernetes_objects() if r.kind == "HTTPRoute"]
