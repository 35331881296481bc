"""networking.k8s.io/v1 Ingress objects for the ingress-nginx controller, and the ConfigMap
its `custom-headers` annotation reads the security headers from.

The edge is split into Ingresses by timeout class, because ingress-nginx applies proxy
timeouts per Ingress (per location): the ML paths wait 600 s, WebSocket and streaming
paths stay open for the stream timeout, and everything else keeps the short timeouts.
Headers never go through configuration snippets: those are disabled by default in the
controller because they let an Ingress inject arbitrary NGINX config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.config.edge import EdgeSpec
from components.config.ingress import IngressSpec, issuer_annotation, nginx_annotation

from .metadata import metadata


@dataclass(frozen=True)
class Backend:
    """The Service (and port number) a path is sent to."""

    service: str
    port: int


@dataclass(frozen=True)
class EdgePath:
    path: str
    backend: Backend


@dataclass(frozen=True)
class EdgePlan:
    """The edge's paths grouped by timeout class; each group keeps its order."""

    standard: Sequence[EdgePath]
    ml: Sequence[EdgePath]
    streaming: Sequence[EdgePath]


def whole(value: float) -> int:
    """Controllers take integer rates; the config check refuses fractions before this."""
    assert float(value).is_integer(), value
    return int(value)


def headers_config_map(
    name: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, namespace, labels),
        "data": edge.headers.as_headers(),
    }


def _common_annotations(edge: EdgeSpec, ingress: IngressSpec, namespace: str) -> dict[str, str]:
    limits, cors = edge.rate_limits, edge.cors
    n = nginx_annotation
    annotations = {
        # HTTPS only: plain HTTP answers with a redirect, even before a certificate exists.
        n("ssl-redirect"): "true",
        n("force-ssl-redirect"): "true",
        n("proxy-body-size"): f"{edge.max_body_size_mb}m",
        n("proxy-connect-timeout"): str(edge.timeouts.connect_seconds),
        # Per client address: requests per second, the burst above it, open connections.
        n("limit-rps"): str(whole(limits.requests_per_second)),
        n("limit-burst-multiplier"): str(limits.burst_multiplier),
        n("limit-connections"): str(limits.connections_per_client),
        # The security headers, from a ConfigMap of this namespace (namespace/name).
        n("custom-headers"): f"{namespace}/{ingress.ingress_nginx.headers_config_map}",
    }
    if cors.allowed_origins:
        annotations |= {
            n("enable-cors"): "true",
            n("cors-allow-origin"): ", ".join(cors.allowed_origins),
            n("cors-allow-methods"): ", ".join(cors.allowed_methods),
            n("cors-allow-headers"): ", ".join(cors.allowed_headers),
            n("cors-allow-credentials"): "true" if cors.allow_credentials else "false",
            n("cors-max-age"): str(cors.max_age_seconds),
        }
    else:
        # No origin allowed: CORS off. An empty cors-allow-origin would be the controller's
        # default, "*".
        annotations[n("enable-cors")] = "false"
    # Extra annotations only add: the model refuses one that overrides a key above.
    return {**ingress.extra_annotations, **annotations}


def _timeouts(read: int, send: int) -> dict[str, str]:
    return {
        nginx_annotation("proxy-read-timeout"): str(read),
        nginx_annotation("proxy-send-timeout"): str(send),
    }


def _ingress(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    edge: EdgeSpec,
    ingress: IngressSpec,
    paths: Sequence[EdgePath],
) -> dict[str, Any]:
    http_paths = [
        {
            "path": p.path,
            "pathType": "Prefix",
            "backend": {"service": {"name": p.backend.service, "port": {"number": p.backend.port}}},
        }
        for p in paths
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(name, namespace, labels, annotations),
        "spec": {
            "ingressClassName": ingress.ingress_nginx.ingress_class,
            "tls": [{"hosts": list(edge.hosts), "secretName": edge.tls.secret_name}],
            "rules": [{"host": host, "http": {"paths": http_paths}} for host in edge.hosts],
        },
    }


def ingresses(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    edge: EdgeSpec,
    ingress: IngressSpec,
    plan: EdgePlan,
) -> list[dict[str, Any]]:
    common = _common_annotations(edge, ingress, namespace)
    timeouts = edge.timeouts
    standard = {**common, **_timeouts(timeouts.read_seconds, timeouts.send_seconds)}
    main = dict(standard)
    if ingress.cert_manager.enabled:
        # Only one Ingress asks cert-manager for the certificate: ingress-shim names the
        # Certificate after the secret, so a second asking Ingress would fight over it.
        main[issuer_annotation(ingress.cert_manager.issuer_kind)] = edge.tls.cert_manager_issuer
    objects = [_ingress(name, namespace, labels, main, edge, ingress, plan.standard)]
    if plan.ml:
        ml = {**common, **_timeouts(timeouts.ml_read_seconds, timeouts.ml_send_seconds)}
        objects.append(_ingress(f"{name}-ml", namespace, labels, ml, edge, ingress, plan.ml))
    if plan.streaming:
        streaming = {
            **common,
            **_timeouts(timeouts.stream_read_seconds, timeouts.stream_read_seconds),
            # WebSocket upgrades need HTTP/1.1 to the backend; SSE must reach clients unbuffered.
            nginx_annotation("proxy-http-version"): "1.1",
            nginx_annotation("proxy-buffering"): "off",
        }
        objects.append(
            _ingress(f"{name}-streaming", namespace, labels, streaming, edge, ingress, plan.streaming)
        )
    if edge.blocked_paths:
        # Every client address is denied (403) before anything is proxied, without the
        # configuration snippets the controller disables; an Ingress path still has to
        # name a backend, which is never reached.
        blocked = {**standard, nginx_annotation("denylist-source-range"): "0.0.0.0/0,::/0"}
        unreachable = [*plan.standard, *plan.ml, *plan.streaming][0].backend
        paths = [EdgePath(path, unreachable) for path in edge.blocked_paths]
        objects.append(_ingress(f"{name}-blocked", namespace, labels, blocked, edge, ingress, paths))
    return objects
