"""What a CDN in front of the edge needs from it: a Cache-Control per path class, and, when a
CDN is switched on, the origin settings that keep everyone else away from the origin.

Path classes (longest matching prefix wins, NGINX's and Gateway API's own rule):
  - immutable: hashed build assets (`cacheControl.immutablePrefixes`, Vite's `/assets/` by
    default): a new build gets new names, so caches may keep them for a year;
  - revalidate: every other path of a route served by a static backend (the SPA's HTML shell,
    robots.txt, ...): `no-cache`, stored but checked on every use, so a deploy shows at once;
  - private: everything else (the API, WebSockets, paths no class names): `no-store`, because
    API answers carry one user's data and must never sit in a shared cache.
Unknown is private: a new API route is never cached by accident.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import StrictModel, added_to, fold_additions, taken_from
from .edge import EdgeSpec
from .errors import unknown_name
from .ingress import IngressSpec
from .routing import covers, serving_route
from .types import Cidr, DnsLabel, HeaderName, Hostname, UrlPath, fullmatch
from .workloads import WorkloadSpec

CacheClass = Literal["immutable", "revalidate", "private"]
# gzip picks the body by Accept-Encoding and CORS answers reflect Origin, so a shared cache
# must key on both; every edge implementation sends this value.
VARY = "Accept-Encoding, Origin"

# Headers a CDN must not be able to spoof or that the application itself reads.
_RESERVED_HEADERS = {
    "authorization",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "forwarded",
    "host",
    "origin",
    "proxy-authorization",
    "te",
    "transfer-encoding",
    "upgrade",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
}


def _check_own_header(value: str) -> str:
    """After the shared header-name check: a name of the origin's own."""
    if value.lower() in _RESERVED_HEADERS:
        raise ValueError(f"{value!r} is a header the edge or the application already uses; pick your own")
    if "_" in value:
        # NGINX drops request headers with '_' (underscores_in_headers off): the docker-host
        # edge would never see the CDN's header and refuse every request.
        raise ValueError("'_' is refused: NGINX drops request headers whose name holds one")
    return value


def _check_cdn_range(value: str) -> str:
    if ipaddress.ip_network(value, strict=True).prefixlen == 0:
        raise ValueError("a range of every address would let anyone reach the origin")
    return value


# The shared header-name kind (types.py), then the origin's own checks.
OriginAuthHeader = Annotated[HeaderName, AfterValidator(_check_own_header)]
# A Cache-Control value: printable ASCII without '$' (NGINX would read a variable) or '"'.
CacheValue = Annotated[
    str,
    fullmatch(
        r"[\x20-\x21\x23\x25-\x7e]+", "a Cache-Control value of printable ASCII without '$' or '\"'", 256
    ),
]
# Cidr first: only a valid network reaches the /0 check.
CdnRange = Annotated[Cidr, AfterValidator(_check_cdn_range)]


# Lists a stack extends with `<key>Add` / `<key>Remove` (docs/configuration.md, "Adding to
# the defaults"): a forgotten `/assets/` or `frontend` would change every cached response.
EXTENDED_LISTS = ("immutable_prefixes", "static_backends")


class CacheControlSpec(StrictModel):
    """On by default: correct Cache-Control helps browsers as much as a CDN."""

    enabled: bool = Field(
        True,
        description=(
            "whether the edge sets Cache-Control on responses by path class "
            "(immutable, revalidate, private); false leaves the backends' own "
            "headers"
        ),
    )
    # Vite's output directory for content-hashed files (docker/Dockerfile.frontend builds dist/).
    immutable_prefixes: list[UrlPath] = Field(
        default_factory=lambda: ["/assets/"],
        description=(
            "path prefixes of content-hashed files that get the `immutable` Cache-Control; "
            "extend with immutablePrefixesAdd (a restatement that drops a default is refused)"
        ),
    )
    immutable_prefixes_add: list[UrlPath] = added_to("immutablePrefixes", ["/fonts/"])
    immutable_prefixes_remove: list[UrlPath] = taken_from("immutablePrefixes", ["/assets/"])
    # Workloads that serve files: their routes are HTML/static, every other backend is private.
    static_backends: list[DnsLabel] = Field(
        default_factory=lambda: ["frontend"],
        description=(
            "workloads whose routes are HTML/static (Cache-Control `revalidate`); "
            "every other backend's routes get `private`; extend with staticBackendsAdd "
            "(a restatement that drops a default is refused)"
        ),
    )
    static_backends_add: list[DnsLabel] = added_to("staticBackends", ["docs"])
    static_backends_remove: list[DnsLabel] = taken_from("staticBackends", ["frontend"])
    immutable: CacheValue = Field(
        "public, max-age=31536000, immutable",
        description=("the Cache-Control value on immutablePrefixes (cached for a year, never revalidated)"),
    )
    revalidate: CacheValue = Field(
        "no-cache",
        description=(
            "the Cache-Control value on the static backends' routes (cached, revalidated on each use)"
        ),
    )
    private: CacheValue = Field(
        "no-store",
        description=("the Cache-Control value on every other route (the API: never stored by a cache)"),
    )

    @model_validator(mode="before")
    @classmethod
    def _fold_lists(cls, data: Any) -> Any:
        for field in EXTENDED_LISTS:
            data = fold_additions(cls, data, field)
        return data

    def value(self, cache_class: CacheClass) -> str:
        return str(getattr(self, cache_class))


class CdnSpec(StrictModel):
    """`enabled: false` (the default) keeps today's edge: anyone may reach it directly."""

    enabled: bool = Field(
        False,
        description=(
            "true puts the edge behind a CDN: only allowedRanges with the "
            "originAuthHeader secret are answered (403 otherwise), and originHost "
            "is served"
        ),
    )
    # The name the CDN connects to; served besides edge.hosts with the same certificate.
    origin_host: Hostname | None = Field(
        None,
        description=("the host name the CDN connects to, served beside edge.hosts with the same certificate"),
        examples=["origin.shikshasetu.example.org"],
    )
    # The CDN's published edge address ranges: the only clients the origin answers.
    allowed_ranges: list[CdnRange] = Field(
        default_factory=list,
        description=(
            "the CDN's published address ranges: the only clients the origin "
            "answers when enabled (NGINX allow list, the Gateway's client CIDRs)"
        ),
        examples=[["173.245.48.0/20"]],
    )
    # The CDN adds this header with the secret `cdnOriginAuth`; requests without it get 403.
    origin_auth_header: OriginAuthHeader = Field(
        "X-Shiksha-Origin-Auth",
        description=(
            "the request header the CDN sends carrying the secret cdnOriginAuth; "
            "the edge refuses requests without it"
        ),
    )
    cache_control: CacheControlSpec = Field(
        CacheControlSpec(), description="the Cache-Control the edge sets per path class"
    )

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> CdnSpec:
        if self.enabled and not self.allowed_ranges:
            raise ValueError(
                "allowedRanges: a CDN that is on needs its address ranges (the origin refuses everyone else)"
            )
        return self


@dataclass(frozen=True)
class PathClass:
    prefix: str
    cache_class: CacheClass
    # The workload serving the prefix (the longest edge route that covers it).
    backend: str


def _immutable_backends(edge: EdgeSpec, cc: CacheControlSpec) -> list[tuple[int, str, str]]:
    """(index, prefix, the backend of the longest route covering it); a prefix no route
    serves is never answered, so it is left out."""
    found = []
    for index, prefix in enumerate(cc.immutable_prefixes):
        route = serving_route(edge.route_list, prefix)
        if route is not None:
            found.append((index, prefix, route.backend))
    return found


def path_classes(edge: EdgeSpec, cdn: CdnSpec) -> list[PathClass]:
    """Every prefix with its class, longest first: the first match of a path is its class."""
    cc = cdn.cache_control
    found: dict[str, PathClass] = {}
    for route in edge.route_list:
        cache_class: CacheClass = "revalidate" if route.backend in cc.static_backends else "private"
        found[route.path] = PathClass(route.path, cache_class, route.backend)
    for _index, prefix, backend in _immutable_backends(edge, cc):
        # Only a static backend's files are immutable; elsewhere the route's class holds
        # (cdn_problems refuses such a prefix when the stack set it explicitly).
        if backend in cc.static_backends:
            found[prefix] = PathClass(prefix, "immutable", backend)
    return sorted(found.values(), key=lambda c: (-len(c.prefix), c.prefix))


def class_of(path: str, classes: Sequence[PathClass]) -> CacheClass:
    for item in classes:
        if covers(item.prefix, path):
            return item.cache_class
    return "private"


def served_hosts(edge: EdgeSpec, cdn: CdnSpec) -> list[str]:
    """The edge's hosts plus the origin host the CDN connects to."""
    if cdn.enabled and cdn.origin_host and cdn.origin_host not in edge.hosts:
        return [*edge.hosts, cdn.origin_host]
    return list(edge.hosts)


def cdn_problems(
    cdn: CdnSpec,
    edge: EdgeSpec,
    ingress: IngressSpec,
    workloads: Mapping[str, WorkloadSpec],
    target: str = "kubernetes",
) -> list[tuple[str, Any, str, str | None]]:
    """Cross-references the cdn section makes, as (config key, value, what is wrong, the
    workload it refers to); references.py reports them with every other cross-reference."""
    problems: list[tuple[str, Any, str, str | None]] = []
    cc = cdn.cache_control
    for index, name in enumerate(cc.static_backends):
        if name not in workloads:
            problems.append(
                (
                    f"cdn.cacheControl.staticBackends[{index}]",
                    name,
                    unknown_name("workload", name, [n for n, spec in workloads.items() if spec.enabled]),
                    name,
                )
            )
    if "immutable_prefixes" in cc.model_fields_set:
        for index, prefix, backend in _immutable_backends(edge, cc):
            if backend not in cc.static_backends:
                # Caching an API answer for a year would hand one user's data to everyone.
                problems.append(
                    (
                        f"cdn.cacheControl.immutablePrefixes[{index}]",
                        prefix,
                        f"served by {backend!r}, not by a static backend "
                        f"(cdn.cacheControl.staticBackends: {cc.static_backends})",
                        backend,
                    )
                )
    if cdn.enabled and target == "kubernetes" and ingress.enabled:
        if ingress.mode == "ingress-nginx":
            problems.append(
                (
                    "cdn.enabled",
                    True,
                    "ingress-nginx cannot require the origin-auth header without the configuration "
                    "snippets this estate refuses; use ingress.mode: gateway-api",
                    None,
                )
            )
        elif (provider := ingress.gateway_api.policy_provider) != "envoy-gateway":
            # Traefik could allow the ranges, but it cannot check a header's secret value
            # without a plugin; half an origin lock is refused like none.
            problems.append(
                (
                    "cdn.enabled",
                    True,
                    f"ingress.gatewayApi.policyProvider {provider!r} attaches no origin policy, so nothing "
                    "would enforce cdn.allowedRanges or the origin-auth header; use envoy-gateway",
                    None,
                )
            )
    return problems


def check_origin_auth_secret(value: str, source: str = "shiksha-setu:cdnOriginAuth") -> str:
    """The shared value is compared exactly; an empty or short one would be guessable, and a
    control character could never be sent by the CDN. Checked where the secret is resolved;
    `source` names where the value came from (the stack key, or a component's argument)."""
    if not 16 <= len(value) <= 256:
        raise ValueError(
            f"{source}: expected 16 to 256 characters (a random value such as `openssl rand -hex 32`)"
        )
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"{source}: expected printable characters without spaces")
    return value
