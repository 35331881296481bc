"""The platform's edge intent, shared by the Kubernetes edge (IngressWithHeaders) and the
NGINX of the docker-host target, so the two never drift."""

from __future__ import annotations

import json
import math
import re
import ssl
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .base import StrictModel, added_to, fold_additions, taken_from
from .errors import map_form
from .types import (
    DNS_LABEL,
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    HeaderName,
    Hostname,
    PortName,
    UrlPath,
)

# Values of this module reach NGINX (nginx.conf), ingress-nginx (annotations and its
# custom-headers ConfigMap), Gateway API objects and Envoy Gateway policies. Each type
# below accepts only what every one of them takes literally; docs/escaping.md lists what
# each refuses and why. Patterns are matched against the whole string with ASCII classes
# ([0-9], never \d, which also matches non-ASCII digits).

# RFC 9110 field-value, restricted to visible ASCII and spaces.
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
HEADER_VALUE_MAX = 4096  # Gateway API's HTTPHeaderValue limit
# One NGINX parameter is at most 4000 bytes with its quotes and escapes
# (components/render/quoting.py, NGINX_TOKEN_MAX).
NGINX_STRING_MAX = 3998


def _check_header_value(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("a header value must not contain a newline")
    if not _HEADER_VALUE.fullmatch(value):
        raise ValueError(
            "expected a header value of visible ASCII characters and spaces (no control characters, "
            "tabs, non-ASCII text or leading/trailing spaces)"
        )
    if len(value) > HEADER_VALUE_MAX:
        raise ValueError(f"a header value is at most {HEADER_VALUE_MAX} characters")
    if len(value) + value.count('"') + value.count("\\") > NGINX_STRING_MAX:
        raise ValueError(
            f"too long for NGINX: at most {NGINX_STRING_MAX} characters, each '\"' and '\\' counting twice"
        )
    if "$" in value:
        # NGINX and ingress-nginx's custom headers expand $variables, with no escape.
        raise ValueError("'$' is refused: NGINX would send a variable ($http_cookie) instead of the text")
    if "%" in value:
        # Envoy Gateway reads header values as Envoy format strings (%REQ(cookie)%).
        raise ValueError("'%' is refused: Envoy reads %...% in a header value as a request field")
    return value


SECONDS_MAX = 99999  # Gateway API and Envoy Gateway durations: at most five digits per unit


def _check_duration_seconds(value: int) -> int:
    if value <= 0:
        raise ValueError("expected a positive number of seconds")
    if value > SECONDS_MAX:
        raise ValueError(f"expected at most {SECONDS_MAX} seconds (the Gateway API's duration limit)")
    return value


# Requests per second. NGINX counts whole requests per second or per minute, so a rate
# below one a minute rounds to nothing; infinity and NaN are no rate at all.
RATE_MIN, RATE_MAX = 1 / 60, 1_000_000


def _check_rate(value: float) -> float:
    if not math.isfinite(value) or not RATE_MIN <= value <= RATE_MAX:
        raise ValueError(f"expected a number of requests per second from 1/60 (one a minute) to {RATE_MAX:,}")
    return value


_ORIGIN = re.compile(rf"https?://{DNS_LABEL}(\.{DNS_LABEL}){{0,126}}(:(?P<port>[0-9]{{1,5}}))?", re.ASCII)


def _check_origin(value: str) -> str:
    match = _ORIGIN.fullmatch(value)
    if value != "*" and (match is None or not 1 <= int(match.group("port") or 443) <= 65535):
        raise ValueError(
            f"origin {value!r} is not scheme://host[:port] (http or https, a lower-case host) or '*'"
        )
    return value


def _check_method(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{1,32}", value, re.ASCII):
        raise ValueError("expected an HTTP method in capitals, such as GET")
    return value


# The TLS 1.3 suites OpenSSL knows (`ssl_conf_command Ciphersuites` refuses any other).
TLS13_SUITES = (
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
)


def _check_ciphers(value: str) -> str:
    """An OpenSSL cipher list: names, `!`/`+`/`-` prefixes and `@` options, ':'-separated."""
    if len(value) > 2048:
        raise ValueError("a cipher list is at most 2048 characters")
    names = value.split(":")
    if not all(re.fullmatch(r"[!+-]?[A-Za-z0-9@=_.+-]{1,64}", name, re.ASCII) for name in names):
        raise ValueError("expected OpenSSL cipher names separated by ':' (letters, digits and !+-@=_. only)")
    unknown = [n for n in names if n.startswith("TLS_") and n not in TLS13_SUITES]
    if unknown:
        raise ValueError(f"unknown TLS 1.3 suites {unknown} (known: {list(TLS13_SUITES)})")
    tls12 = ":".join(n for n in names if not n.startswith("TLS_"))
    if tls12:
        try:
            # The same OpenSSL call NGINX makes for ssl_ciphers.
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ciphers(tls12)
        except ssl.SSLError:
            raise ValueError(f"OpenSSL selects no cipher from {tls12!r}") from None
    return value


HeaderValue = Annotated[str, AfterValidator(_check_header_value)]
# Gateway API and Envoy Gateway take durations of at most five digits per unit.
GatewaySeconds = Annotated[int, AfterValidator(_check_duration_seconds)]
Rate = Annotated[float, AfterValidator(_check_rate)]
Origin = Annotated[str, AfterValidator(_check_origin)]
HttpMethod = Annotated[str, AfterValidator(_check_method)]
CipherList = Annotated[str, AfterValidator(_check_ciphers)]


class SecurityHeaders(StrictModel):
    strict_transport_security: HeaderValue = Field(
        "max-age=63072000; includeSubDomains; preload",
        description=(
            "the Strict-Transport-Security header the edge adds to every response "
            "(NGINX, ingress-nginx's headers ConfigMap, the HTTPRoute filters)"
        ),
    )
    x_frame_options: HeaderValue = Field(
        "DENY",
        description=("the X-Frame-Options header the edge adds to every response (who may frame the site)"),
    )
    x_content_type_options: HeaderValue = Field(
        "nosniff",
        description=("the X-Content-Type-Options header the edge adds to every response (no MIME sniffing)"),
    )
    referrer_policy: HeaderValue = Field(
        "strict-origin-when-cross-origin",
        description="the Referrer-Policy header the edge adds to every response",
    )
    permissions_policy: HeaderValue = Field(
        "camera=(), microphone=(self), geolocation=(), payment=()",
        description=(
            "the Permissions-Policy header the edge adds to every response (browser"
            " features the pages may use)"
        ),
    )
    content_security_policy: HeaderValue = Field(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' wss:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; upgrade-insecure-requests",
        description=(
            "the Content-Security-Policy header the edge adds to every response "
            "(where pages may load scripts, styles and data from)"
        ),
    )

    def as_headers(self) -> dict[str, str]:
        """Header name -> value, in the form every edge implementation sends them."""
        names = {
            "strict_transport_security": "Strict-Transport-Security",
            "x_frame_options": "X-Frame-Options",
            "x_content_type_options": "X-Content-Type-Options",
            "referrer_policy": "Referrer-Policy",
            "permissions_policy": "Permissions-Policy",
            "content_security_policy": "Content-Security-Policy",
        }
        return {header: getattr(self, field) for field, header in names.items()}


class RateLimits(StrictModel):
    requests_per_second: Rate = Field(
        20,
        description=(
            "requests per second each client address may make: NGINX's per_client "
            "limit_req zone, ingress-nginx's limit-rps, Traefik's RateLimit average"
        ),
    )
    # At most 1000, so that the burst (rate x multiplier) stays far below int32.
    burst_multiplier: Annotated[int, Field(strict=True, ge=1, le=1000)] = Field(
        5,
        description=(
            "the burst allowed above the per-client rate, as a multiple of it "
            "(NGINX burst, ingress-nginx limit-burst-multiplier, Traefik burst)"
        ),
    )
    # NGINX's limit_conn takes at most 65535.
    connections_per_client: Annotated[int, Field(strict=True, ge=1, le=65535)] = Field(
        20,
        description=(
            "open connections per client address (NGINX limit_conn, ingress-nginx limit-connections)"
        ),
    )
    global_requests_per_second: Rate = Field(
        1000,
        description=(
            "requests per second for the whole site, all clients together (NGINX's "
            "global limit_req zone, the Gateway/Traefik global limit)"
        ),
    )
    status_code: Annotated[int, Field(strict=True, ge=400, le=599)] = Field(
        429,
        description=(
            "the HTTP status NGINX answers a request over a rate or connection "
            "limit with (limit_req_status, limit_conn_status)"
        ),
    )


class Cors(StrictModel):
    # Bounded so that the lists, joined, fit one NGINX parameter and one annotation.
    allowed_origins: list[Origin] = Field(
        default_factory=lambda: ["https://shikshasetu.example.org"],
        max_length=256,
        description=(
            "origins a browser may call the API from (Access-Control-Allow-Origin);"
            " empty turns CORS off at the edge"
        ),
    )
    allowed_methods: list[HttpMethod] = Field(
        default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        min_length=1,
        max_length=32,
        description="methods answered in Access-Control-Allow-Methods to a preflight",
    )
    allowed_headers: list[HeaderName] = Field(
        max_length=32,
        default_factory=lambda: ["Authorization", "Content-Type", "X-Request-ID"],
        description=("request headers answered in Access-Control-Allow-Headers to a preflight"),
    )
    allow_credentials: bool = Field(
        True,
        description=(
            "Access-Control-Allow-Credentials: whether a browser may send cookies "
            "and auth with a cross-origin call"
        ),
    )
    max_age_seconds: GatewaySeconds = Field(
        600, description="Access-Control-Max-Age: how long a browser caches a preflight answer"
    )

    @model_validator(mode="after")
    def _no_wildcard_with_credentials(self) -> Cors:
        if self.allow_credentials and "*" in self.allowed_origins:
            raise ValueError("a wildcard origin '*' cannot be combined with allowCredentials: true")
        return self


class RouteTarget(StrictModel):
    """The workload (and its port) that serves one path prefix of `edge.routes`."""

    backend: Dns1035Label = Field(
        examples=["notifier"], description="the workload that serves the path (an enabled workload)"
    )
    port: PortName = Field(
        examples=["http"], default="http", description="the name of one of the backend's ports"
    )


@dataclass(frozen=True)
class Route:
    """One edge route as every consumer reads it (`EdgeSpec.route_list`)."""

    path: str
    backend: str
    port: str = "http"


# The production routes; a stack's `edge.routes` map is merged over these, path by path.
DEFAULT_ROUTES: dict[str, RouteTarget] = {
    "/api": RouteTarget(backend="api"),
    "/ws": RouteTarget(backend="api"),
    "/": RouteTarget(backend="frontend"),
}


def route_key(path: str) -> str:
    """The config key of one route, as error messages name it: edge.routes["/api"]."""
    return f"edge.routes[{json.dumps(path)}]"


def _as_entries(routes: list[Any]) -> list[tuple[str, Any]]:
    """The old list's routes as (path, target) entries; items that are not routes are left out."""
    return [
        (item["path"], {k: v for k, v in item.items() if k != "path"})
        for item in routes
        if isinstance(item, dict) and isinstance(item.get("path"), str)
    ]


def _routes_are_a_map(value: Any) -> Any:
    if isinstance(value, list):
        listed = {item.get("path") for item in value if isinstance(item, dict)}
        kept = [path for path in DEFAULT_ROUTES if path not in listed]
        keeps = (
            f"; the defaults you did not list stay ({', '.join(kept)}) unless you write `null` for their path"
            if kept
            else ""
        )
        raise ValueError(
            "edge.routes is a map keyed by path, merged over the default routes (a list no longer "
            f"replaces them): write `routes: {map_form(_as_entries(value))}`{keeps}"
        )
    return value


class Timeouts(StrictModel):
    read_seconds: GatewaySeconds = Field(
        60,
        description=(
            "how long the edge waits for a backend's response between two reads "
            "(NGINX proxy_read_timeout, ingress-nginx proxy-read-timeout, HTTPRoute"
            " timeouts)"
        ),
    )
    send_seconds: GatewaySeconds = Field(
        60,
        description=(
            "how long the edge waits between two writes of a request to a backend "
            "(NGINX proxy_send_timeout, ingress-nginx proxy-send-timeout)"
        ),
    )
    connect_seconds: GatewaySeconds = Field(
        5, description=("how long the edge waits to open a connection to a backend (proxy_connect_timeout)")
    )
    # Only the ML endpoints wait this long; everything else keeps the short timeouts.
    ml_read_seconds: GatewaySeconds = Field(
        600,
        description=("the read timeout on mlPaths instead of readSeconds (model inference answers slowly)"),
    )
    ml_send_seconds: GatewaySeconds = Field(
        600, description="the send timeout on mlPaths instead of sendSeconds"
    )
    stream_read_seconds: GatewaySeconds = Field(
        3600,
        description=(
            "the read (and send) timeout on streamPaths and websocketPaths: how "
            "long an idle stream stays open"
        ),
    )


TlsProtocol = Literal["TLSv1.2", "TLSv1.3"]
SUPPORTED_TLS: tuple[TlsProtocol, ...] = ("TLSv1.2", "TLSv1.3")


class TlsSettings(StrictModel):
    protocols: list[TlsProtocol] = Field(
        default_factory=lambda: list(SUPPORTED_TLS),
        min_length=1,
        description=(
            "the TLS versions the docker-host NGINX edge accepts (ssl_protocols); "
            "on Kubernetes the ingress controller's own TLS settings apply"
        ),
    )
    ciphers: CipherList = Field(
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        description=(
            "the TLS cipher suites the docker-host NGINX edge offers, OpenSSL names"
            " (ssl_ciphers and the TLS 1.3 Ciphersuites)"
        ),
    )
    cert_manager_issuer: DnsSubdomain = Field(
        "letsencrypt-prod",
        description=(
            "the cert-manager issuer named in the Ingress/Gateway annotation that "
            "obtains the edge certificate"
        ),
    )
    secret_name: DnsLabel = Field(
        "shiksha-setu-tls",
        description=(
            "the Secret holding the edge's TLS certificate, named by the Ingress "
            "tls / Gateway listener certificateRefs"
        ),
    )


# Path lists a stack extends with `<key>Add` / `<key>Remove`, so that adding a blocked path or a
# WebSocket path does not mean restating (and risking) the defaults; a restated list that
# drops a default entry is refused (components/config/merge.py EXTENDED_LISTS).
ADDITIVE_PATHS = ("ml_paths", "stream_paths", "websocket_paths", "blocked_paths")


class EdgeSpec(StrictModel):
    hosts: list[Hostname] = Field(
        default_factory=lambda: ["shikshasetu.example.org"],
        min_length=1,
        description=(
            "the host names the edge serves: Ingress rules / HTTPRoute hostnames, "
            "NGINX server_name, the TLS certificate's names"
        ),
    )
    routes: Annotated[dict[UrlPath, RouteTarget], BeforeValidator(_routes_are_a_map)] = Field(
        examples=[{"/api/v1/notify": {"backend": "notifier"}, "/ws": None}],
        min_length=1,
        default_factory=lambda: dict(DEFAULT_ROUTES),
        description=(
            "path prefix -> the workload and port that serve it, merged over the defaults; "
            "`null` for a default path removes that route"
        ),
    )
    # Served by the API but slow (model inference): the long timeouts apply only here.
    ml_paths: list[UrlPath] = Field(
        default_factory=lambda: ["/api/v2/ml", "/api/v2/chat"],
        description=(
            "path prefixes (served by their route) that get the long ML timeouts "
            "(timeouts.mlReadSeconds/mlSendSeconds); a restatement dropping a default is refused: use "
            "mlPathsAdd/mlPathsRemove"
        ),
    )
    ml_paths_add: list[UrlPath] = added_to("mlPaths", ["/api/v2/summarise"])
    ml_paths_remove: list[UrlPath] = taken_from("mlPaths", ["/api/v2/chat"])
    # Server-Sent Events: never buffered.
    stream_paths: list[UrlPath] = Field(
        default_factory=lambda: ["/api/v2/chat/stream"],
        description=(
            "path prefixes of Server-Sent Events: never buffered by the edge, open "
            "for timeouts.streamReadSeconds; a restatement dropping a default is refused: use "
            "streamPathsAdd/streamPathsRemove"
        ),
    )
    stream_paths_add: list[UrlPath] = added_to("streamPaths", ["/api/v2/events"])
    stream_paths_remove: list[UrlPath] = taken_from("streamPaths", ["/api/v2/chat/stream"])
    websocket_paths: list[UrlPath] = Field(
        default_factory=lambda: ["/ws"],
        description=(
            "path prefixes upgraded to WebSockets at the edge (Upgrade/Connection "
            "headers, stream timeout); a restatement dropping a default is refused: use "
            "websocketPathsAdd/websocketPathsRemove"
        ),
    )
    websocket_paths_add: list[UrlPath] = added_to("websocketPaths", ["/live"])
    websocket_paths_remove: list[UrlPath] = taken_from("websocketPaths", ["/ws"])
    # Answered by the edge itself (dockerHost.nginx.blockedStatus from NGINX, 403 from
    # ingress-nginx, 500 from a Gateway API gateway), never proxied. At most 64: the
    # match limit of one HTTPRoute rule.
    blocked_paths: list[Annotated[UrlPath, Field(max_length=512)]] = Field(
        max_length=64,
        default_factory=lambda: [
            "/wp-admin",
            "/wp-login.php",
            "/phpmyadmin",
            "/phpMyAdmin",
            "/.env",
            "/.git",
            "/.svn",
            "/.htaccess",
            "/xmlrpc.php",
            "/cgi-bin",
            "/server-status",
        ],
        description=(
            "path prefixes the edge answers itself and never proxies (scanner "
            "targets); a restatement dropping a default is refused: use blockedPathsAdd/blockedPathsRemove"
        ),
    )
    blocked_paths_add: list[Annotated[UrlPath, Field(max_length=512)]] = added_to(
        "blockedPaths", ["/actuator"]
    )
    blocked_paths_remove: list[Annotated[UrlPath, Field(max_length=512)]] = taken_from(
        "blockedPaths", ["/server-status"]
    )
    headers: SecurityHeaders = Field(
        SecurityHeaders(), description="the security headers the edge adds to every response"
    )
    rate_limits: RateLimits = Field(RateLimits(), description="request and connection limits at the edge")
    cors: Cors = Field(Cors(), description="the edge's CORS answers for browsers calling from other origins")
    timeouts: Timeouts = Field(
        Timeouts(), description="how long the edge waits on backends, per kind of path"
    )
    tls: TlsSettings = Field(TlsSettings(), description="the edge's TLS versions, ciphers and certificate")
    # At most 1 TiB: NGINX and ingress-nginx parse the size into a signed 64-bit count.
    max_body_size_mb: Annotated[int, Field(strict=True, ge=1, le=2**20)] = Field(
        25,
        description=(
            "the largest request body the edge accepts, in MiB (NGINX "
            "client_max_body_size, ingress-nginx proxy-body-size); larger gets 413"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _fold_paths(cls, data: Any) -> Any:
        for field in ADDITIVE_PATHS:
            data = fold_additions(cls, data, field)
        return data

    @property
    def route_list(self) -> tuple[Route, ...]:
        """Every route in order: the defaults first (as DEFAULT_ROUTES orders them), then the
        stack's own. The one way consumers read `routes`, so the map's shape stays here."""
        return tuple(Route(path, target.backend, target.port) for path, target in self.routes.items())
