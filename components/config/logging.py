"""Log aggregation: a node-level collector shipping container logs to a Loki-compatible endpoint.

Loki itself is run by the cluster's operators; the estate only ships to it, over OTLP/HTTP
(Loki 3 ingests OTLP natively at /otlp/v1/logs). Off by default.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from .base import StrictModel
from .images import PinnedImage
from .types import Cidr, CpuQuantity, DnsLabel, MemoryQuantity

# Scheme, host, optional port and path; nothing the collector's config resolver would expand
# (`$`), no credentials in the URL (they are a secret, see `username` and loggingPassword).
_ENDPOINT = re.compile(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")


def _check_endpoint(value: str) -> str:
    if not _ENDPOINT.match(value):
        raise ValueError(
            "expected the OTLP/HTTP logs URL of a Loki-compatible endpoint, such as "
            "https://loki.example.org/otlp/v1/logs (no user:password@, query or '$')"
        )
    port = urlsplit(value).port
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("expected a TCP port between 1 and 65535")
    return value


Endpoint = Annotated[str, AfterValidator(_check_endpoint)]
# A tenant id or user name goes into an HTTP header; printable ASCII without spaces only.
HeaderToken = Annotated[str, Field(pattern=r"^[!-~]{1,256}$")]
# Basic auth joins user and password with ":", so a user name cannot hold one.
UserName = Annotated[str, Field(pattern=r"^[!-9;-~]{1,256}$")]


class CollectorResources(StrictModel):
    requests_cpu: CpuQuantity = Field("50m", description="the log collector container's CPU request")
    requests_memory: MemoryQuantity = Field(
        "128Mi", description="the log collector container's memory request"
    )
    limits_cpu: CpuQuantity = Field("500m", description="the log collector container's CPU limit")
    limits_memory: MemoryQuantity = Field(
        "256Mi",
        description=(
            "the log collector container's memory limit (its memory_limiter holds it at 80 % of this)"
        ),
    )


class LoggingSpec(StrictModel):
    enabled: bool = Field(
        False,
        description=(
            "true creates the LoggingStack: a namespace with an OpenTelemetry "
            "Collector DaemonSet shipping container logs to `endpoint`"
        ),
    )
    namespace: DnsLabel = Field(
        "shiksha-setu-logging",
        description=(
            "the namespace the log collector runs in (Pod Security privileged, "
            "audit/warn baseline: it reads the nodes' log files)"
        ),
    )
    endpoint: Endpoint | None = Field(
        None,
        description=(
            "the OTLP/HTTP logs URL the collector ships to (the otlphttp exporter's"
            " logs_endpoint); required when enabled"
        ),
        examples=["https://logs-prod-eu-west-0.grafana.net/otlp/v1/logs"],
    )
    # Plain http sends the logs and the password readable on the wire: only with this opt-in.
    allow_plain_http: bool = Field(
        False,
        description=(
            "true allows an http:// endpoint (logs and password readable on the "
            "wire); otherwise only https://"
        ),
    )
    # Where the endpoint's addresses are: the only egress the collector's NetworkPolicy opens.
    endpoint_cidrs: list[Cidr] = Field(
        default_factory=list,
        description=(
            "the endpoint's address ranges: the only egress (besides DNS) the collector's NetworkPolicy opens"
        ),
        examples=[["34.120.0.0/16"]],
    )
    # Basic auth (Grafana Cloud: the instance id); the password is the secret loggingPassword.
    username: UserName | None = Field(
        None,
        description=(
            "basic-auth user sent with the logs (the password is the secret "
            "loggingPassword); unset sends no Authorization"
        ),
        examples=["123456"],
    )
    # Loki's X-Scope-OrgID for multi-tenant installations.
    tenant: HeaderToken | None = Field(
        None,
        description="the X-Scope-OrgID header sent with the logs (Loki's tenant)",
        examples=["shiksha-setu"],
    )
    # Namespaces whose container logs are shipped; the platform namespace when empty.
    namespaces: list[DnsLabel] = Field(
        default_factory=list,
        description=("the namespaces whose container logs are shipped; empty: the platform namespace only"),
        examples=[["shiksha-setu", "ingress-nginx"]],
    )
    # The upstream contrib distribution carries every component of ours (tools/extra/otelcol).
    image: PinnedImage = Field(
        "docker.io/otel/opentelemetry-collector-contrib:0.165.0",
        description="the pinned image of the collector DaemonSet",
    )
    resources: CollectorResources = Field(
        CollectorResources(), description="the collector container's requests and limits"
    )

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> LoggingSpec:
        if not self.enabled:
            return self
        if self.endpoint is None:
            raise ValueError("endpoint: required when logging is enabled")
        if self.endpoint.startswith("http://") and not self.allow_plain_http:
            raise ValueError(
                f"endpoint: got {self.endpoint!r}: expected https:// (set allowPlainHttp: true to send "
                "logs unencrypted)"
            )
        if not self.endpoint_cidrs:
            raise ValueError(
                "endpointCidrs: required when logging is enabled (the addresses of the endpoint; "
                "the collector's NetworkPolicy allows egress only to them)"
            )
        return self

    @property
    def endpoint_port(self) -> int:
        assert self.endpoint is not None
        parts = urlsplit(self.endpoint)
        return parts.port or (443 if parts.scheme == "https" else 80)
