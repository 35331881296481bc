"""How the Kubernetes edge is implemented; *what* it does (hosts, routes, headers, limits,
timeouts, TLS) is the shared EdgeSpec in edge.py, also used by the docker-host NGINX.

Two modes. `gateway-api` is the default: ingress-nginx was retired upstream in March 2026
(no releases, no security fixes since), and an unmaintained proxy must not face the
internet. `ingress-nginx` stays for clusters that have not migrated yet.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from .base import StrictModel
from .network import NAMESPACE_NAME_LABEL
from .types import DnsLabel, LabelKey, Text

NGINX = "nginx.ingress.kubernetes.io"
CERT_MANAGER = "cert-manager.io"

# Every ingress-nginx annotation the edge sets, with the config key it comes from. The
# builders (components/kube/ingress.py) write them through `nginx_annotation`, which takes
# only these names, and `extraAnnotations` may not override any of them: one list for both.
INGRESS_NGINX_SETTINGS: dict[str, str] = {
    "ssl-redirect": "always true (HTTPS only)",
    "force-ssl-redirect": "always true (HTTPS only)",
    "proxy-body-size": "edge.maxBodySizeMb",
    "proxy-connect-timeout": "edge.timeouts.connectSeconds",
    "proxy-read-timeout": "edge.timeouts",
    "proxy-send-timeout": "edge.timeouts",
    "proxy-http-version": "edge.websocketPaths and edge.streamPaths",
    "proxy-buffering": "edge.websocketPaths and edge.streamPaths",
    "limit-rps": "edge.rateLimits.requestsPerSecond",
    "limit-burst-multiplier": "edge.rateLimits.burstMultiplier",
    "limit-connections": "edge.rateLimits.connectionsPerClient",
    "enable-cors": "edge.cors",
    "cors-allow-origin": "edge.cors.allowedOrigins",
    "cors-allow-methods": "edge.cors.allowedMethods",
    "cors-allow-headers": "edge.cors.allowedHeaders",
    "cors-allow-credentials": "edge.cors.allowCredentials",
    "cors-max-age": "edge.cors.maxAgeSeconds",
    "custom-headers": "edge.headers",
    "denylist-source-range": "edge.blockedPaths",
}
# The issuer is edge.tls.certManagerIssuer of kind ingress.certManager.issuerKind; another
# issuer, kind or group would contradict it.
CERT_MANAGER_ISSUER: dict[str, str] = {
    "cluster-issuer": "edge.tls.certManagerIssuer",
    "issuer": "edge.tls.certManagerIssuer",
    "issuer-kind": "ingress.certManager.issuerKind",
    "issuer-group": "ingress.certManager.issuerKind",
}


def nginx_annotation(name: str) -> str:
    """The full key of an ingress-nginx annotation the edge sets (KeyError for any other)."""
    if name not in INGRESS_NGINX_SETTINGS:
        raise KeyError(f"{name}: add it to INGRESS_NGINX_SETTINGS, so extraAnnotations cannot override it")
    return f"{NGINX}/{name}"


def issuer_annotation(kind: Literal["ClusterIssuer", "Issuer"]) -> str:
    return f"{CERT_MANAGER}/{'cluster-issuer' if kind == 'ClusterIssuer' else 'issuer'}"


def component_annotations(mode: str) -> dict[str, str]:
    """Annotation key -> the config key it is set from, for every annotation the edge of
    `mode` may set on its objects."""
    owned = {f"{CERT_MANAGER}/{name}": key for name, key in CERT_MANAGER_ISSUER.items()}
    if mode == "ingress-nginx":
        owned |= {nginx_annotation(name): key for name, key in INGRESS_NGINX_SETTINGS.items()}
    return owned


# The API server's rules for annotation keys (apimachinery IsQualifiedName, applied to the
# lower-cased key): an optional DNS-1123 subdomain prefix and '/', then a name.
_ANNOTATION_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", re.ASCII)
_ANNOTATION_PREFIX = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII
)
# The API server caps all annotations of an object at 256 KiB; the extra ones get half,
# the edge's own (bounded lists of origins, methods and headers) fit in the rest.
EXTRA_ANNOTATIONS_MAX_BYTES = 128 * 1024
# ingress-nginx writes its annotations' values into nginx.conf: NGINX syntax in one is the
# configuration injection of CVE-2021-25742 and CVE-2025-1097/1098/24514.
_NGINX_SYNTAX = re.compile(r"[;{}\"'\\#`]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def extra_annotation_problem(key: str, value: str, mode: str) -> str | None:
    """Why `key: value` cannot be an extra annotation of the edge in `mode`, or None."""
    prefix, slash, name = key.lower().rpartition("/")
    if not _ANNOTATION_NAME.fullmatch(name) or (slash and not _ANNOTATION_PREFIX.fullmatch(prefix)):
        return (
            "not an annotation key the API server accepts: [prefix/]name, the prefix a DNS "
            "subdomain, the name at most 63 letters, digits, '-', '_' or '.'"
        )
    owned = component_annotations(mode)
    # Compared lower-cased: a case variant is another key, but it reads as an override.
    lowered = key.lower()
    if lowered in owned:
        return (
            f"set by the edge itself from {owned[lowered]}; extraAnnotations may add annotations, "
            "never override one the component sets"
        )
    if "snippet" in lowered:
        # Snippets inject raw NGINX config; the controller disables them for that reason.
        return "snippet annotations are never used"
    if lowered == "kubernetes.io/ingress.class" and mode == "ingress-nginx":
        return "the API server refuses it next to spec.ingressClassName (ingress.ingressNginx.ingressClass)"
    if _CONTROL.search(value):
        return "its value holds a control character or line separator"
    if lowered.startswith(f"{NGINX}/") and _NGINX_SYNTAX.search(value):
        return (
            "its value holds NGINX syntax (; { } quotes \\ # `), which ingress-nginx writes into nginx.conf"
        )
    return None


class IngressNginxSpec(StrictModel):
    ingress_class: DnsLabel = Field(
        "nginx", description="the Ingress objects' ingressClassName (mode ingress-nginx)"
    )
    controller_namespace: DnsLabel = Field(
        "ingress-nginx",
        description=(
            "the namespace of the ingress-nginx controller pods: the edge "
            "NetworkPolicies admit traffic from it"
        ),
    )
    # The ConfigMap (in the platform namespace) the `custom-headers` annotation points to.
    headers_config_map: DnsLabel = Field(
        "edge-security-headers",
        description=(
            "name of the ConfigMap of security headers the Ingresses' custom-headers annotation points to"
        ),
    )


class GatewayApiSpec(StrictModel):
    gateway_class: DnsLabel = Field(
        "envoy-gateway", description="the Gateway's gatewayClassName (mode gateway-api)"
    )
    gateway_name: DnsLabel = Field(
        "shiksha-setu", description="the name of the Gateway object the HTTPRoutes attach to"
    )
    # Envoy Gateway runs the proxies of every Gateway in its own namespace.
    controller_namespace: DnsLabel = Field(
        "envoy-gateway-system",
        description=(
            "the namespace of the gateway's proxy pods: the edge NetworkPolicies admit traffic from it"
        ),
    )
    # The extension point for what Gateway API (standard channel) cannot say: rate limits
    # and CORS. Each name is one function in components/kube/gateway.py (POLICY_PROVIDERS)
    # that turns the edge intent into the implementation's policy-attachment objects;
    # `traefik` into Traefik Middlewares the route's rules run (ExtensionRef filters);
    # `none` emits nothing and leaves both to the cluster's operators.
    policy_provider: Literal["envoy-gateway", "traefik", "none"] = Field(
        "envoy-gateway",
        description=(
            "which objects carry rate limits and CORS: Envoy Gateway policies, "
            "Traefik Middlewares (ExtensionRef filters), or none"
        ),
    )


class CertManagerSpec(StrictModel):
    enabled: bool = Field(
        True,
        description=(
            "whether the Ingress/Gateway carries the cert-manager issuer annotation"
            " that obtains the edge certificate"
        ),
    )
    # The issuer's name is edge.tls.certManagerIssuer; this is its kind.
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = Field(
        "ClusterIssuer",
        description=(
            "the annotation used: cert-manager.io/cluster-issuer (ClusterIssuer) or"
            " cert-manager.io/issuer (Issuer)"
        ),
    )


class IngressSpec(StrictModel):
    enabled: bool = Field(
        True, description=("whether the Kubernetes edge (Ingress or Gateway and HTTPRoute) is created at all")
    )
    mode: Literal["gateway-api", "ingress-nginx"] = Field(
        "gateway-api",
        description=(
            "the edge objects created: a Gateway and HTTPRoute (gateway-api) or Ingresses for ingress-nginx"
        ),
    )
    ingress_nginx: IngressNginxSpec = Field(IngressNginxSpec(), description="settings of mode ingress-nginx")
    gateway_api: GatewayApiSpec = Field(GatewayApiSpec(), description="settings of mode gateway-api")
    cert_manager: CertManagerSpec = Field(
        CertManagerSpec(), description="how the edge certificate is requested from cert-manager"
    )
    # Extra annotations on every edge object, for implementation-specific knobs that have
    # no key here (an escape hatch, reviewed like code: snippets are refused).
    extra_annotations: dict[LabelKey, Text] = Field(
        default_factory=dict,
        description=(
            "annotations added to the edge objects (the Ingresses, or the Gateway) "
            "for controller knobs with no key here; snippets are refused"
        ),
        examples=[{"nginx.ingress.kubernetes.io/proxy-buffer-size": "16k"}],
    )

    @model_validator(mode="after")
    def _extra_annotations_only_add(self) -> IngressSpec:
        problems = [
            f"extraAnnotations: got {key!r}: {problem}"
            for key, value in self.extra_annotations.items()
            if (problem := extra_annotation_problem(key, value, self.mode)) is not None
        ]
        size = sum(len(k.encode()) + len(v.encode()) for k, v in self.extra_annotations.items())
        if size > EXTRA_ANNOTATIONS_MAX_BYTES:
            problems.append(
                f"extraAnnotations: {size} bytes; at most {EXTRA_ANNOTATIONS_MAX_BYTES} "
                "(the API server caps an object's annotations at 256 KiB)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def controller_namespace_labels(self) -> dict[str, str]:
        """The namespace whose pods receive the platform's traffic from the internet."""
        if self.mode == "ingress-nginx":
            return {NAMESPACE_NAME_LABEL: self.ingress_nginx.controller_namespace}
        return {NAMESPACE_NAME_LABEL: self.gateway_api.controller_namespace}
