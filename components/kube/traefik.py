"""Traefik Proxy (traefik.io/v1alpha1) Middlewares for the Gateway API edge: what the
standard channel cannot say, attached to the HTTPRoute's rules with ExtensionRef filters
(Traefik's Kubernetes CRD provider must run beside its Gateway API provider).

- rate limits: a per-client RateLimit (requestsPerSecond, burst = rate x burstMultiplier)
  and a shared one per host (globalRequestsPerSecond), as the docker-host NGINX has both;
- connection limit: an InFlightReq per client address (concurrent requests: Traefik has no
  per-connection count);
- CORS: a Headers middleware (Traefik answers the preflight itself);
- blocked paths: an IPAllowList no client address is in, so Traefik answers 403 itself
  (a rule without backendRefs alone gets Traefik's 503, not the 403 of the docker-host
  NGINX and ingress-nginx); the rule's header filter wraps the 403, so it carries every
  security header.

Each over-limit answer is a 429 made inside the filter chain, after the
ResponseHeaderModifier, so it carries the security headers too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from components.config.edge import EdgeSpec

from .metadata import metadata

TRAEFIK = "traefik.io/v1alpha1"
GROUP = "traefik.io"
# No client has this address (the limited broadcast address is never a packet's source),
# and an IPv6 client is never in an IPv4 range: the allow list lets nobody through.
NOBODY = "255.255.255.255/32"
# The client's own address (ignoring X-Forwarded-For, which a client can forge).
BY_CLIENT = {"ipStrategy": {"depth": 0}}


def _rate(requests_per_second: float) -> dict[str, Any]:
    """Traefik's rate is average / period, both whole: 2.5 r/s is 5 per 2 s. The model keeps
    rates at one a minute or more, so a period of at most an hour is exact enough."""
    fraction = Fraction(requests_per_second).limit_denominator(3600)
    return {"average": fraction.numerator, "period": f"{fraction.denominator}s"}


def _middleware(name: str, namespace: Any, labels: Mapping[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": TRAEFIK,
        "kind": "Middleware",
        "metadata": metadata(name, namespace, labels),
        "spec": spec,
    }


def rate_limit(name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec) -> dict[str, Any]:
    """Per client address: the rate, and a burst of rate x multiplier (ingress-nginx's
    limit-burst-multiplier, NGINX's burst)."""
    limits = edge.rate_limits
    burst = max(1, math.ceil(limits.requests_per_second * limits.burst_multiplier))
    return _middleware(
        name,
        namespace,
        labels,
        {"rateLimit": {**_rate(limits.requests_per_second), "burst": burst, "sourceCriterion": BY_CLIENT}},
    )


def global_rate_limit(name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec) -> dict[str, Any]:
    """All clients of one host together (per Traefik instance, like Envoy's local limit)."""
    rate = edge.rate_limits.global_requests_per_second
    burst = max(1, math.ceil(rate))
    return _middleware(
        name,
        namespace,
        labels,
        {"rateLimit": {**_rate(rate), "burst": burst, "sourceCriterion": {"requestHost": True}}},
    )


def connection_limit(name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec) -> dict[str, Any]:
    """Requests in progress per client address (limit-connections' intent)."""
    amount = edge.rate_limits.connections_per_client
    return _middleware(
        name, namespace, labels, {"inFlightReq": {"amount": amount, "sourceCriterion": BY_CLIENT}}
    )


def cors(name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec) -> dict[str, Any]:
    spec = edge.cors
    return _middleware(
        name,
        namespace,
        labels,
        {
            "headers": {
                "accessControlAllowOriginList": list(spec.allowed_origins),
                "accessControlAllowMethods": list(spec.allowed_methods),
                "accessControlAllowHeaders": list(spec.allowed_headers),
                "accessControlAllowCredentials": spec.allow_credentials,
                "accessControlMaxAge": spec.max_age_seconds,
                # The answer depends on the request's Origin: a shared cache must key on it.
                "addVaryHeader": True,
            }
        },
    )


def deny(name: str, namespace: Any, labels: Mapping[str, str]) -> dict[str, Any]:
    """Every client gets a 403 from Traefik itself; nothing is proxied."""
    return _middleware(
        name, namespace, labels, {"ipAllowList": {"sourceRange": [NOBODY], "rejectStatusCode": 403}}
    )


def extension_ref(middleware: dict[str, Any]) -> dict[str, Any]:
    """The HTTPRoute filter that runs a Middleware of the route's namespace."""
    return {
        "type": "ExtensionRef",
        "extensionRef": {"group": GROUP, "kind": "Middleware", "name": middleware["metadata"]["name"]},
    }
