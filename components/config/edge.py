"""The platform's edge intent, shared by the Kubernetes edge (IngressWithHeaders) and the
NGINX of the docker-host target, so the two never drift."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import StrictModel
from .types import (
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    Hostname,
    PortName,
    PositiveInt32,
    Seconds,
    UrlPath,
)


def _check_header_value(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("a header value must not contain a newline")
    return value


HeaderValue = Annotated[str, AfterValidator(_check_header_value)]


class SecurityHeaders(StrictModel):
    strict_transport_security: HeaderValue = "max-age=63072000; includeSubDomains; preload"
    x_frame_options: HeaderValue = "DENY"
    x_content_type_options: HeaderValue = "nosniff"
    referrer_policy: HeaderValue = "strict-origin-when-cross-origin"
    permissions_policy: HeaderValue = "camera=(), microphone=(self), geolocation=(), payment=()"
    content_security_policy: HeaderValue = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' wss:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; upgrade-insecure-requests"
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
    # Finite (no NaN or infinity, see StrictModel), at least one request a minute (NGINX's
    # finest rate) and below int32.
    requests_per_second: Annotated[float, Field(ge=1 / 60, le=2**31 - 1)] = 20
    burst_multiplier: PositiveInt32 = 5
    # NGINX's limit_conn takes at most 65535.
    connections_per_client: Annotated[int, Field(strict=True, ge=1, le=65535)] = 20
    global_requests_per_second: Annotated[float, Field(ge=1 / 60, le=2**31 - 1)] = 1000
    status_code: Annotated[int, Field(strict=True, ge=400, le=599)] = 429

    @model_validator(mode="after")
    def _burst_fits(self) -> RateLimits:
        if self.requests_per_second * self.burst_multiplier > 2**31 - 1:
            raise ValueError("requestsPerSecond x burstMultiplier (the burst) exceeds 2147483647")
        return self


class Cors(StrictModel):
    allowed_origins: list[str] = Field(default_factory=lambda: ["https://shikshasetu.example.org"])
    allowed_methods: list[str] = Field(
        default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    )
    allowed_headers: list[str] = Field(
        default_factory=lambda: ["Authorization", "Content-Type", "X-Request-ID"]
    )
    allow_credentials: bool = True
    max_age_seconds: Seconds = 600

    @model_validator(mode="after")
    def _no_wildcard_with_credentials(self) -> Cors:
        if self.allow_credentials and "*" in self.allowed_origins:
            raise ValueError("a wildcard origin '*' cannot be combined with allowCredentials: true")
        for origin in self.allowed_origins:
            if origin != "*" and not re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", origin, re.ASCII):
                raise ValueError(f"origin {origin!r} is not scheme://host[:port]")
        return self


class Route(StrictModel):
    """A path prefix and the workload (and port name) that serves it."""

    path: UrlPath
    backend: Dns1035Label
    port: PortName = "http"


class Timeouts(StrictModel):
    read_seconds: Seconds = 60
    send_seconds: Seconds = 60
    connect_seconds: Seconds = 5
    # Only the ML endpoints wait this long; everything else keeps the short timeouts.
    ml_read_seconds: Seconds = 600
    ml_send_seconds: Seconds = 600
    stream_read_seconds: Seconds = 3600


TlsProtocol = Literal["TLSv1.2", "TLSv1.3"]
SUPPORTED_TLS: tuple[TlsProtocol, ...] = ("TLSv1.2", "TLSv1.3")


class TlsSettings(StrictModel):
    protocols: list[TlsProtocol] = Field(default_factory=lambda: list(SUPPORTED_TLS), min_length=1)
    ciphers: str = (
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
    )
    cert_manager_issuer: DnsSubdomain = "letsencrypt-prod"
    secret_name: DnsLabel = "shiksha-setu-tls"  # noqa: S105 (a Secret's name, not its value)


class EdgeSpec(StrictModel):
    hosts: list[Hostname] = Field(default_factory=lambda: ["shikshasetu.example.org"], min_length=1)
    routes: list[Route] = Field(
        min_length=1,
        default_factory=lambda: [
            Route(path="/api", backend="api"),
            Route(path="/ws", backend="api"),
            Route(path="/", backend="frontend"),
        ],
    )
    # Served by the API but slow (model inference): the long timeouts apply only here.
    ml_paths: list[UrlPath] = Field(default_factory=lambda: ["/api/v2/ml", "/api/v2/chat"])
    # Server-Sent Events: never buffered.
    stream_paths: list[UrlPath] = Field(default_factory=lambda: ["/api/v2/chat/stream"])
    websocket_paths: list[UrlPath] = Field(default_factory=lambda: ["/ws"])
    # Answered by the edge itself (dockerHost.nginx.blockedStatus from NGINX, 403 from
    # ingress-nginx, 500 from a Gateway API gateway), never proxied. At most 64: the
    # match limit of one HTTPRoute rule.
    blocked_paths: list[UrlPath] = Field(
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
    )
    headers: SecurityHeaders = SecurityHeaders()
    rate_limits: RateLimits = RateLimits()
    cors: Cors = Cors()
    timeouts: Timeouts = Timeouts()
    tls: TlsSettings = TlsSettings()
    max_body_size_mb: PositiveInt32 = 25
