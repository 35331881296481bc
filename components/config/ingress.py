"""How the Kubernetes edge is implemented; *what* it does (hosts, routes, headers, limits,
timeouts, TLS) is the shared EdgeSpec in edge.py, also used by the docker-host NGINX.

Two modes. `gateway-api` is the default: ingress-nginx was retired upstream in March 2026
(no releases, no security fixes since), and an unmaintained proxy must not face the
internet. `ingress-nginx` stays for clusters that have not migrated yet.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import StrictModel
from .network import NAMESPACE_NAME_LABEL
from .types import DnsLabel, LabelKey, Text


class IngressNginxSpec(StrictModel):
    ingress_class: DnsLabel = "nginx"
    controller_namespace: DnsLabel = "ingress-nginx"
    # The ConfigMap (in the platform namespace) the `custom-headers` annotation points to.
    headers_config_map: DnsLabel = "edge-security-headers"


class GatewayApiSpec(StrictModel):
    gateway_class: DnsLabel = "envoy-gateway"
    gateway_name: DnsLabel = "shiksha-setu"
    # Envoy Gateway runs the proxies of every Gateway in its own namespace.
    controller_namespace: DnsLabel = "envoy-gateway-system"
    # The extension point for what Gateway API (standard channel) cannot say: rate limits
    # and CORS. Each name is one function in components/kube/gateway.py (POLICY_PROVIDERS)
    # that turns the edge intent into the implementation's policy-attachment objects;
    # `none` emits nothing and leaves both to the cluster's operators.
    policy_provider: Literal["envoy-gateway", "none"] = "envoy-gateway"


class CertManagerSpec(StrictModel):
    enabled: bool = True
    # The issuer's name is edge.tls.certManagerIssuer; this is its kind.
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"


class IngressSpec(StrictModel):
    enabled: bool = True
    mode: Literal["gateway-api", "ingress-nginx"] = "gateway-api"
    ingress_nginx: IngressNginxSpec = IngressNginxSpec()
    gateway_api: GatewayApiSpec = GatewayApiSpec()
    cert_manager: CertManagerSpec = CertManagerSpec()
    # Extra annotations on every edge object, for implementation-specific knobs that have
    # no key here (an escape hatch, reviewed like code: snippets are refused).
    extra_annotations: dict[LabelKey, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_snippets(self) -> IngressSpec:
        for key in self.extra_annotations:
            # Snippets inject raw NGINX config; the controller disables them for that reason.
            if "snippet" in key:
                raise ValueError(f"extraAnnotations: got {key!r}: snippet annotations are never used")
        return self

    def controller_namespace_labels(self) -> dict[str, str]:
        """The namespace whose pods receive the platform's traffic from the internet."""
        if self.mode == "ingress-nginx":
            return {NAMESPACE_NAME_LABEL: self.ingress_nginx.controller_namespace}
        return {NAMESPACE_NAME_LABEL: self.gateway_api.controller_namespace}
