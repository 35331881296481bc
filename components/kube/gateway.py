"""Gateway API (gateway.networking.k8s.io/v1, standard channel) objects for the edge:
a Gateway with an HTTPS listener per host and a plain-HTTP listener that only redirects,
and HTTPRoutes whose rules carry the security headers (ResponseHeaderModifier) and their
timeout class (600 s only for the ML paths).

Rate limiting and CORS are not part of the standard channel. They go through the
extension point POLICY_PROVIDERS: a provider turns the edge intent into its
implementation's policy-attachment objects, targeted at the HTTPRoute. Adding support
for another implementation is one function and one name in `ingress.gatewayApi.policyProvider`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.config.edge import EdgeSpec
from components.config.ingress import IngressSpec, issuer_annotation

from .ingress import EdgePath, EdgePlan, whole
from .metadata import metadata

GATEWAY_API = "gateway.networking.k8s.io/v1"
GROUP = "gateway.networking.k8s.io"
ENVOY_GATEWAY = "gateway.envoyproxy.io/v1alpha1"


def _listener_name(scheme: str, index: int) -> str:
    return f"{scheme}-{index}"


def gateway(
    name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec, ingress: IngressSpec
) -> dict[str, Any]:
    # Extra annotations only add: the model refuses one that overrides the issuer.
    annotations: dict[str, str] = dict(ingress.extra_annotations)
    if ingress.cert_manager.enabled:
        # cert-manager's gateway-shim issues one certificate per listener hostname.
        annotations[issuer_annotation(ingress.cert_manager.issuer_kind)] = edge.tls.cert_manager_issuer
    listeners: list[dict[str, Any]] = []
    for index, host in enumerate(edge.hosts):
        same_namespace = {"namespaces": {"from": "Same"}}
        listeners.append(
            {
                "name": _listener_name("https", index),
                "hostname": host,
                "port": 443,
                "protocol": "HTTPS",
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"kind": "Secret", "name": edge.tls.secret_name}],
                },
                "allowedRoutes": same_namespace,
            }
        )
        listeners.append(
            {
                "name": _listener_name("http", index),
                "hostname": host,
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": same_namespace,
            }
        )
    return {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": metadata(name, namespace, labels, annotations),
        "spec": {"gatewayClassName": ingress.gateway_api.gateway_class, "listeners": listeners},
    }


def _parents(gateway_name: str, scheme: str, edge: EdgeSpec) -> list[dict[str, Any]]:
    return [
        {
            "group": GROUP,
            "kind": "Gateway",
            "name": gateway_name,
            "sectionName": _listener_name(scheme, index),
        }
        for index in range(len(edge.hosts))
    ]


def redirect_route(
    name: str, namespace: Any, labels: Mapping[str, str], gateway_name: str, edge: EdgeSpec
) -> dict[str, Any]:
    """Everything on plain HTTP gets a permanent redirect to HTTPS, and nothing else."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "parentRefs": _parents(gateway_name, "http", edge),
            "hostnames": list(edge.hosts),
            "rules": [
                {
                    "filters": [
                        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                    ]
                }
            ],
        },
    }


def _rule(path: EdgePath, headers: Mapping[str, str], seconds: int) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path.path}}],
        "filters": [
            {
                "type": "ResponseHeaderModifier",
                "responseHeaderModifier": {"set": [{"name": k, "value": v} for k, v in headers.items()]},
            }
        ],
        "backendRefs": [{"kind": "Service", "name": path.backend.service, "port": path.backend.port}],
        # The whole exchange, and each try at the backend, may take this long.
        "timeouts": {"request": f"{seconds}s", "backendRequest": f"{seconds}s"},
    }


def https_route(
    name: str, namespace: Any, labels: Mapping[str, str], gateway_name: str, edge: EdgeSpec, plan: EdgePlan
) -> dict[str, Any]:
    """One route for every path; Gateway API picks the longest matching prefix, so the ML
    and streaming rules win over the route prefixes that contain them."""
    headers = edge.headers.as_headers()
    timeouts = edge.timeouts
    rules = (
        [_rule(p, headers, timeouts.read_seconds) for p in plan.standard]
        + [_rule(p, headers, timeouts.ml_read_seconds) for p in plan.ml]
        + [_rule(p, headers, timeouts.stream_read_seconds) for p in plan.streaming]
    )
    if edge.blocked_paths:
        # A rule without backendRefs is answered by the gateway itself with a 500 (the
        # HTTPRouteNoBackendRefs conformance test), and the longest prefix wins, so a probe
        # for /wp-admin never reaches the frontend that "/" would send it to.
        rules.append({"matches": [{"path": {"type": "PathPrefix", "value": p}} for p in edge.blocked_paths]})
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "parentRefs": _parents(gateway_name, "https", edge),
            "hostnames": list(edge.hosts),
            "rules": rules,
        },
    }


@dataclass(frozen=True)
class PolicyContext:
    """What a policy provider gets: the edge intent and the route its policies attach to."""

    namespace: Any
    labels: Mapping[str, str]
    edge: EdgeSpec
    route_name: str


PolicyProvider = Callable[[PolicyContext], Sequence[dict[str, Any]]]


def _target(context: PolicyContext) -> list[dict[str, str]]:
    return [{"group": GROUP, "kind": "HTTPRoute", "name": context.route_name}]


def envoy_gateway_policies(context: PolicyContext) -> list[dict[str, Any]]:
    """Envoy Gateway: a BackendTrafficPolicy (local rate limit) and a SecurityPolicy (CORS).

    A local limit counts all clients together per proxy, so it carries the edge's global
    rate; per-client limits need Envoy Gateway's global (Redis-backed) rate limiting.
    """
    edge = context.edge
    cors = edge.cors
    return [
        {
            "apiVersion": ENVOY_GATEWAY,
            "kind": "BackendTrafficPolicy",
            "metadata": metadata(f"{context.route_name}-rate-limit", context.namespace, context.labels),
            "spec": {
                "targetRefs": _target(context),
                "rateLimit": {
                    "type": "Local",
                    "local": {
                        "rules": [
                            {
                                "limit": {
                                    "requests": whole(edge.rate_limits.global_requests_per_second),
                                    "unit": "Second",
                                }
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": ENVOY_GATEWAY,
            "kind": "SecurityPolicy",
            "metadata": metadata(f"{context.route_name}-cors", context.namespace, context.labels),
            "spec": {
                "targetRefs": _target(context),
                "cors": {
                    "allowOrigins": list(cors.allowed_origins),
                    "allowMethods": list(cors.allowed_methods),
                    "allowHeaders": list(cors.allowed_headers),
                    "allowCredentials": cors.allow_credentials,
                    "maxAge": f"{cors.max_age_seconds}s",
                },
            },
        },
    ]


def no_policies(context: PolicyContext) -> list[dict[str, Any]]:
    """Rate limits and CORS are left to the cluster's operators."""
    del context
    return []


POLICY_PROVIDERS: dict[str, PolicyProvider] = {
    "envoy-gateway": envoy_gateway_policies,
    "none": no_policies,
}
