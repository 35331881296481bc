"""Gateway API (gateway.networking.k8s.io/v1, standard channel) objects for the edge:
a Gateway with an HTTPS listener per host and a plain-HTTP listener that only redirects,
and HTTPRoutes whose rules carry the security headers (ResponseHeaderModifier) and their
timeout class (600 s only for the ML paths).

Rate limiting and CORS are not part of the standard channel. They go through the
extension point POLICY_PROVIDERS: a provider turns the edge intent into its
implementation's objects: policy attachments targeted at the HTTPRoute (Envoy Gateway), or
filters its rules carry (Traefik's ExtensionRef Middlewares). Adding support for another
implementation is one function and one name in `ingress.gatewayApi.policyProvider`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.config.cdn import VARY, CdnSpec, PathClass, class_of, path_classes
from components.config.edge import EdgeSpec
from components.config.ingress import IngressSpec, issuer_annotation

from . import traefik
from .ingress import EdgePath, EdgePlan, immutable_paths, whole
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


def _header_filter(headers: Mapping[str, str], added: Mapping[str, str] | None = None) -> dict[str, Any]:
    modifier: dict[str, Any] = {"set": [{"name": k, "value": v} for k, v in headers.items()]}
    if added:
        modifier["add"] = [{"name": k, "value": v} for k, v in added.items()]
    return {"type": "ResponseHeaderModifier", "responseHeaderModifier": modifier}


def _rule(
    path: EdgePath,
    headers: Mapping[str, str],
    seconds: int,
    added: Mapping[str, str] | None = None,
    extra_filters: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path.path}}],
        # The header filter first: it wraps the filters after it, so their own answers (a
        # 429, a preflight) carry the headers too.
        "filters": [_header_filter(headers, added), *extra_filters],
        "backendRefs": [{"kind": "Service", "name": path.backend.service, "port": path.backend.port}],
        # The whole exchange, and each try at the backend, may take this long.
        "timeouts": {"request": f"{seconds}s", "backendRequest": f"{seconds}s"},
    }


def https_route(
    name: str,
    namespace: Any,
    labels: Mapping[str, str],
    gateway_name: str,
    edge: EdgeSpec,
    plan: EdgePlan,
    cdn: CdnSpec | None = None,
    policies: Policies | None = None,
) -> dict[str, Any]:
    """One route for every path; Gateway API picks the longest matching prefix, so the ML
    and streaming rules win over the route prefixes that contain them. `policies` adds the
    provider's filters to the rules."""
    cdn = cdn or CdnSpec()
    policies = policies or Policies()
    timeouts = edge.timeouts
    # Without Cache-Control by class the hashed assets need no rule of their own.
    classes = path_classes(edge, cdn) if cdn.cache_control.enabled else []

    def rule(p: EdgePath, seconds: int) -> dict[str, Any]:
        return _rule(
            p,
            {**edge.headers.as_headers(), **cache_headers(p.path, classes, cdn)},
            seconds,
            vary(cdn),
            policies.rule_filters,
        )

    rules = (
        [rule(p, timeouts.read_seconds) for p in plan.standard]
        + [rule(p, timeouts.read_seconds) for p in immutable_paths(plan, classes)]
        + [rule(p, timeouts.ml_read_seconds) for p in plan.ml]
        + [rule(p, timeouts.stream_read_seconds) for p in plan.streaming]
    )
    if edge.blocked_paths:
        # A rule without backendRefs is answered by the gateway itself (Gateway API's
        # HTTPRouteNoBackendRefs conformance: 500; Traefik: 503), and the longest prefix
        # wins, so a probe for /wp-admin never reaches the frontend that "/" would send it
        # to. Its filter puts the security headers on that answer too (measured on Traefik:
        # without it the answer is bare); a provider may answer with a filter of its own
        # instead, still with no backend.
        private = cache_headers("/", [], cdn)  # no class: no-store
        rules.append(
            {
                "matches": [{"path": {"type": "PathPrefix", "value": p}} for p in edge.blocked_paths],
                "filters": [
                    _header_filter({**edge.headers.as_headers(), **private}),
                    *policies.blocked_filters,
                ],
            }
        )
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
    cdn: CdnSpec = field(default_factory=CdnSpec)


@dataclass(frozen=True)
class Policies:
    """What a provider adds: its objects, filters every proxying rule carries (after the
    header filter), and filters that answer the blocked-path rule (none: the gateway's own
    answer to a rule without backends)."""

    objects: Sequence[dict[str, Any]] = ()
    rule_filters: Sequence[dict[str, Any]] = ()
    blocked_filters: Sequence[dict[str, Any]] = ()


PolicyProvider = Callable[[PolicyContext], Policies]


def _target(context: PolicyContext) -> list[dict[str, str]]:
    return [{"group": GROUP, "kind": "HTTPRoute", "name": context.route_name}]


def envoy_gateway_policies(context: PolicyContext) -> Policies:
    """Envoy Gateway: a BackendTrafficPolicy (local rate limit) and a SecurityPolicy (CORS).

    A local limit counts all clients together per proxy, so it carries the edge's global
    rate; per-client limits need Envoy Gateway's global rate limiting (a rate-limit
    service and its store).
    """
    edge = context.edge
    cors = edge.cors
    return Policies(
        [
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
                    # Envoy Gateway applies one SecurityPolicy per route: the CDN's checks live here.
                    **envoy_cdn_origin(context),
                },
            },
        ]
    )


def no_policies(context: PolicyContext) -> Policies:
    """Rate limits and CORS are left to the cluster's operators."""
    del context
    return Policies()


def traefik_policies(context: PolicyContext) -> Policies:
    """Traefik Proxy: Middlewares (components/kube/traefik.py) run by ExtensionRef filters,
    in the order a request meets them: the shared rate, the client's rate, the client's
    requests in progress, then CORS (so a preflight counts against the limits too)."""
    ns, labels, edge, name = context.namespace, context.labels, context.edge, context.route_name
    limits = [
        traefik.global_rate_limit(f"{name}-global-rate-limit", ns, labels, edge),
        traefik.rate_limit(f"{name}-rate-limit", ns, labels, edge),
        traefik.connection_limit(f"{name}-connection-limit", ns, labels, edge),
    ]
    # No origin allowed: no CORS headers at all (an empty list is not "*").
    cors = [traefik.cors(f"{name}-cors", ns, labels, edge)] if edge.cors.allowed_origins else []
    deny = [traefik.deny(f"{name}-blocked", ns, labels)] if edge.blocked_paths else []
    return Policies(
        objects=[*limits, *cors, *deny],
        rule_filters=[traefik.extension_ref(m) for m in [*limits, *cors]],
        blocked_filters=[traefik.extension_ref(m) for m in deny],
    )


# --- CDN: Cache-Control by path class and the CDN-only origin ------------------------------
# ResponseHeaderModifier cannot look at the status or the content type, so on the Gateway
# a 404 (or `serve --single`'s index.html fallback) under an immutable prefix would be
# marked immutable too: the frontend must answer a missing asset with 404 (docs/cdn.md).

CDN_CLIENT_ID = "cdn"


def cache_headers(path: str, classes: Sequence[PathClass], cdn: CdnSpec) -> dict[str, str]:
    """`set` replaces the backend's own Cache-Control, as the NGINX edge does."""
    if not cdn.cache_control.enabled:
        return {}
    return {"Cache-Control": cdn.cache_control.value(class_of(path, classes))}


def vary(cdn: CdnSpec) -> dict[str, str]:
    """`add`, never `set`: the compressor's and the backend's Vary values stay."""
    return {"Vary": VARY} if cdn.cache_control.enabled else {}


def cdn_secret_name(route_name: str) -> str:
    return f"{route_name}-cdn-origin-auth"


def cdn_origin_secret(route_name: str, namespace: Any, labels: Mapping[str, str]) -> dict[str, Any]:
    """The Secret Envoy Gateway reads the shared value from (client id `cdn`); its data is the
    Pulumi secret cdnOriginAuth, filled in by the component, never in this dict."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(cdn_secret_name(route_name), namespace, labels),
        "type": "Opaque",
    }


def envoy_cdn_origin(context: PolicyContext) -> dict[str, Any]:
    """With a CDN: the shared header checked as an API key (taken off before the backend),
    and only the CDN's address ranges allowed."""
    cdn = context.cdn
    if not cdn.enabled:
        return {}
    return {
        "apiKeyAuth": {
            "credentialRefs": [{"kind": "Secret", "name": cdn_secret_name(context.route_name)}],
            "extractFrom": [{"headers": [cdn.origin_auth_header]}],
            "sanitize": True,
        },
        "authorization": {
            "defaultAction": "Deny",
            "rules": [
                {
                    "name": "cdn-ranges",
                    "action": "Allow",
                    "principal": {"clientCIDRs": list(cdn.allowed_ranges)},
                }
            ],
        },
    }


POLICY_PROVIDERS: dict[str, PolicyProvider] = {
    "envoy-gateway": envoy_gateway_policies,
    "none": no_policies,
    "traefik": traefik_policies,
}
