"""networking.k8s.io/v1 Ingress objects for the ingress-nginx controller, and the ConfigMaps
their `custom-headers` annotation reads the response headers from.

The edge is split into Ingresses by timeout class, because ingress-nginx applies proxy
timeouts per Ingress (per location): the ML paths wait 600 s, WebSocket and streaming
paths stay open for the stream timeout, and everything else keeps the short timeouts.
With Cache-Control by path class (cdn.cacheControl, on by default) each timeout class is
split again by cache class, because an Ingress names one headers ConfigMap: the security
headers plus that class's Cache-Control (and Vary for the cacheable classes).
Headers never go through configuration snippets: those are disabled by default in the
controller because they let an Ingress inject arbitrary NGINX config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.config.cdn import VARY, CacheClass, CdnSpec, PathClass, class_of, path_classes
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


# The cache classes in the order their Ingresses are built; `private` (the default class:
# unknown is private) keeps each timeout class's own Ingress name and the ConfigMap's.
CACHE_CLASSES: tuple[CacheClass, ...] = ("private", "revalidate", "immutable")


def immutable_paths(plan: EdgePlan, classes: Sequence[PathClass]) -> list[EdgePath]:
    """A path per hashed-asset prefix no route names, sent where its covering route goes."""
    by_path = {p.path: p.backend for p in [*plan.standard, *plan.ml, *plan.streaming]}
    found = []
    for item in classes:
        if item.cache_class != "immutable" or item.prefix in by_path:
            continue
        covering = max((p for p in by_path if item.prefix.startswith(p)), key=len)
        found.append(EdgePath(item.prefix, by_path[covering]))
    return found


def response_headers(edge: EdgeSpec, cdn: CdnSpec, cache_class: CacheClass | None) -> dict[str, str]:
    """What one headers ConfigMap holds. The controller writes each entry with headers-more's
    more_set_headers, which replaces a header the backend sent: so the edge decides
    Cache-Control, as the NGINX target does, and Vary is set only where a shared cache may
    store the answer (for a no-store answer no cache keys on it, and the backend's stays)."""
    headers = edge.headers.as_headers()
    if cache_class is None:
        return headers
    headers["Cache-Control"] = cdn.cache_control.value(cache_class)
    if cache_class != "private":
        headers["Vary"] = VARY
    return headers


def config_map_name(base: str, cache_class: CacheClass | None) -> str:
    return base if cache_class in (None, "private") else f"{base}-{cache_class}"


def _classes_in_use(edge: EdgeSpec, cdn: CdnSpec, plan: EdgePlan) -> list[CacheClass | None]:
    """None: Cache-Control by class is off, one ConfigMap of security headers (as before)."""
    if not cdn.cache_control.enabled:
        return [None]
    classes = path_classes(edge, cdn)
    paths = [*plan.standard, *immutable_paths(plan, classes), *plan.ml, *plan.streaming]
    used = {class_of(p.path, classes) for p in paths}
    if edge.blocked_paths:
        used.add("private")  # the blocked Ingress's 403s are never stored
    return [c for c in CACHE_CLASSES if c in used]


def headers_config_maps(
    base: str, namespace: Any, labels: Mapping[str, str], edge: EdgeSpec, cdn: CdnSpec, plan: EdgePlan
) -> list[dict[str, Any]]:
    """One ConfigMap per cache class the edge's paths use."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(config_map_name(base, c), namespace, labels),
            "data": response_headers(edge, cdn, c),
        }
        for c in _classes_in_use(edge, cdn, plan)
    ]


def allowed_response_headers(edge: EdgeSpec, cdn: CdnSpec, plan: EdgePlan) -> list[str]:
    """Every header name the ConfigMaps set: the controller's `global-allowed-response-headers`
    must list each, or it denies every location of an Ingress naming the ConfigMap (503)."""
    names: dict[str, None] = {}
    for cache_class in _classes_in_use(edge, cdn, plan):
        names |= dict.fromkeys(response_headers(edge, cdn, cache_class))
    return list(names)


def _common_annotations(edge: EdgeSpec, ingress: IngressSpec) -> dict[str, str]:
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


def _custom_headers(namespace: str, ingress: IngressSpec, cache_class: CacheClass | None) -> dict[str, str]:
    """The response headers, from a ConfigMap of this namespace (namespace/name)."""
    name = config_map_name(ingress.ingress_nginx.headers_config_map, cache_class)
    return {nginx_annotation("custom-headers"): f"{namespace}/{name}"}


def _by_cache_class(
    paths: Sequence[EdgePath], classes: Sequence[PathClass] | None
) -> list[tuple[CacheClass | None, list[EdgePath]]]:
    """The paths of one timeout class split by cache class (order kept), empty ones left out."""
    if classes is None:
        return [(None, list(paths))]
    groups = [(c, [p for p in paths if class_of(p.path, classes) == c]) for c in CACHE_CLASSES]
    return [(c, group) for c, group in groups if group]


def ingresses(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    edge: EdgeSpec,
    ingress: IngressSpec,
    plan: EdgePlan,
    cdn: CdnSpec | None = None,
) -> list[dict[str, Any]]:
    """One Ingress per timeout class and cache class: `<name>[-ml|-streaming][-revalidate|-immutable]`;
    the private class keeps the timeout class's name, so an edge without cacheable paths
    keeps today's objects."""
    cdn = cdn or CdnSpec()
    common = _common_annotations(edge, ingress)
    timeouts = edge.timeouts
    classes = path_classes(edge, cdn) if cdn.cache_control.enabled else None
    standard = {**common, **_timeouts(timeouts.read_seconds, timeouts.send_seconds)}
    ml = {**common, **_timeouts(timeouts.ml_read_seconds, timeouts.ml_send_seconds)}
    streaming = {
        **common,
        **_timeouts(timeouts.stream_read_seconds, timeouts.stream_read_seconds),
        # WebSocket upgrades need HTTP/1.1 to the backend; SSE must reach clients unbuffered.
        nginx_annotation("proxy-http-version"): "1.1",
        nginx_annotation("proxy-buffering"): "off",
    }
    # Hashed-asset prefixes no route names get a path of their own, with the standard timeouts.
    standard_paths = [*plan.standard, *(immutable_paths(plan, classes) if classes else [])]
    objects: list[dict[str, Any]] = []
    for group, group_notes, paths in (
        (name, standard, standard_paths),
        (f"{name}-ml", ml, plan.ml),
        (f"{name}-streaming", streaming, plan.streaming),
    ):
        for cache_class, class_paths in _by_cache_class(paths, classes):
            notes = {**group_notes, **_custom_headers(namespace, ingress, cache_class)}
            if not objects and ingress.cert_manager.enabled:
                # Only one Ingress asks cert-manager for the certificate: ingress-shim names the
                # Certificate after the secret, so a second asking Ingress would fight over it.
                notes[issuer_annotation(ingress.cert_manager.issuer_kind)] = edge.tls.cert_manager_issuer
            ingress_name = group if cache_class in (None, "private") else f"{group}-{cache_class}"
            objects.append(_ingress(ingress_name, namespace, labels, notes, edge, ingress, class_paths))
    if edge.blocked_paths:
        # Every client address is denied (403) before anything is proxied, without the
        # configuration snippets the controller disables; an Ingress path still has to
        # name a backend, which is never reached. Its answers are private (never stored).
        blocked = {
            **standard,
            # The private class's ConfigMap is the base one (the security headers alone when off).
            **_custom_headers(namespace, ingress, "private" if classes is not None else None),
            nginx_annotation("denylist-source-range"): "0.0.0.0/0,::/0",
        }
        unreachable = [*plan.standard, *plan.ml, *plan.streaming][0].backend
        paths = [EdgePath(path, unreachable) for path in edge.blocked_paths]
        objects.append(_ingress(f"{name}-blocked", namespace, labels, blocked, edge, ingress, paths))
    return objects
