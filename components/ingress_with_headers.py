"""IngressWithHeaders: the platform's edge on Kubernetes, from the shared EdgeSpec.

`ingress.mode` picks the implementation:
  - gateway-api (default): Gateway + HTTPRoutes, rate limits and CORS through the
    policy provider extension point (components/kube/gateway.py, POLICY_PROVIDERS);
  - ingress-nginx: Ingresses with the controller's annotations, security headers and
    Cache-Control by path class through its custom-headers ConfigMaps (the controller must
    list the header names in its `global-allowed-response-headers` setting;
    `allowed_response_headers` gives the value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.cdn import CdnSpec, check_origin_auth_secret, served_hosts
from components.config.edge import EdgeSpec
from components.config.ingress import IngressSpec
from components.kube import gateway as gw
from components.kube import ingress as ing
from components.kube.labels import MANAGED_BY
from components.kube.metadata import SKIP_AWAIT
from components.resources.secret_objects import SecretSink, plain_secret
from components.values.secret_text import secret

COMPONENT = "edge"
ORIGIN_AUTH_ARG = "IngressWithHeadersArgs.cdn_origin_auth"


@dataclass(frozen=True)
class IngressWithHeadersArgs:
    """The edge: its hosts, TLS secret, headers, rate limits and CORS (`edge`), each path with
    the Service that serves it (`paths`), and the controller (`ingress`). Every default is the
    hardened one: Gateway API, no CDN, HSTS and the security headers of EdgeSpec."""

    # The namespace the objects live in (ingress-nginx's custom-headers annotation names it).
    # The objects wait for what the component's `depends_on` names (the PlatformNamespace).
    namespace: str
    edge: EdgeSpec
    # The edge's routes resolved: each path, in its timeout class, with its Service and port.
    paths: ing.EdgePlan
    # The objects' name and app.kubernetes.io/part-of label.
    part_of: str
    ingress: IngressSpec = field(default_factory=IngressSpec)
    cdn: CdnSpec = field(default_factory=CdnSpec)
    # With cdn.enabled: the value the CDN's header must carry (a secret Output, 16 to 256
    # printable characters). Not needed when `secrets` is external: the operator writes it.
    cdn_origin_auth: pulumi.Output[str] | None = None
    # Who writes the Secrets (with an external source: the operator, the CDN's value included);
    # None: Pulumi, with the values kept.
    secrets: SecretSink | None = None
    # True only where no controller will ever report an address: `up` then does not wait for
    # each Ingress's load balancer status.
    skip_await: bool = False


def allowed_response_headers(args: IngressWithHeadersArgs) -> str:
    """The ingress-nginx `global-allowed-response-headers` value the custom headers need."""
    return ",".join(ing.allowed_response_headers(args.edge, args.cdn, args.paths))


def edge_objects(args: IngressWithHeadersArgs) -> list[dict[str, Any]]:
    """Every object of the edge for the configured mode, as plain dicts."""
    labels = {
        "app.kubernetes.io/name": "edge",
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/part-of": args.part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    namespace, ingress, plan, cdn = args.namespace, args.ingress, args.paths, args.cdn
    # With a CDN, the origin host it connects to is served like the public hosts.
    edge = args.edge.model_copy(update={"hosts": served_hosts(args.edge, cdn)})
    name = args.part_of
    if ingress.mode == "ingress-nginx":
        return [
            *ing.headers_config_maps(
                ingress.ingress_nginx.headers_config_map, namespace, labels, edge, cdn, plan
            ),
            *ing.ingresses(name, namespace, labels, edge, ingress, plan, cdn),
        ]
    gateway_name = ingress.gateway_api.gateway_name
    provider = gw.POLICY_PROVIDERS[ingress.gateway_api.policy_provider]
    policies = provider(gw.PolicyContext(namespace, labels, edge, name, cdn))
    return [
        gw.gateway(gateway_name, namespace, labels, edge, ingress),
        gw.redirect_route(f"{name}-http-redirect", namespace, labels, gateway_name, edge),
        gw.https_route(name, namespace, labels, gateway_name, edge, plan, cdn, policies),
        *policies.objects,
        *([gw.cdn_origin_secret(name, namespace, labels)] if cdn.enabled else []),
    ]


def _checked_origin_auth(value: str) -> str:
    try:
        return check_origin_auth_secret(value, ORIGIN_AUTH_ARG)
    except ValueError as error:
        raise ValueError(f"IngressWithHeaders: {error}") from None


def _cdn_origin_secret(
    name: str, meta: dict[str, Any], args: IngressWithHeadersArgs, opts: pulumi.ResourceOptions
) -> None:
    """The CDN's shared value, kept a secret Output (and redacted where manifests are files)."""
    sink = args.secrets
    if sink is not None and sink.source.external:
        # The operator writes it from the secrets manager: Pulumi never sees the value, so
        # it cannot be checked here (docs/secrets-manager.md says what to store).
        sink.secret(
            name, meta["namespace"], meta.get("labels", {}), {gw.CDN_CLIENT_ID: secret("cdnOriginAuth")}, opts
        )
        return
    assert args.cdn_origin_auth is not None
    checked: pulumi.Output[str] = args.cdn_origin_auth.apply(_checked_origin_auth)
    plain_secret(name, meta, {gw.CDN_CLIENT_ID: checked}, sink is not None and sink.redact, opts)


class IngressWithHeaders(pulumi.ComponentResource):
    def __init__(self, name: str, args: IngressWithHeadersArgs, opts: pulumi.ResourceOptions | None = None):
        external = args.secrets is not None and args.secrets.source.external
        if args.cdn.enabled and not external and args.cdn_origin_auth is None:
            # Checked before anything is registered.
            raise ValueError(f"IngressWithHeaders {name}: {ORIGIN_AUTH_ARG} is required when cdn.enabled")
        super().__init__("shiksha:index:IngressWithHeaders", name, None, opts)
        # Pulumi gives a component's depends_on to none of its children: each object is told
        # to wait itself, so none reaches the API server before its namespace does.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        for obj in edge_objects(args):
            meta = obj["metadata"]
            kind, object_name = obj["kind"], meta["name"]
            if kind == "ConfigMap":
                k8s.core.v1.ConfigMap(object_name, metadata=meta, data=obj["data"], opts=child)
            elif kind == "Secret":
                _cdn_origin_secret(object_name, meta, args, child)
            elif kind == "Ingress":
                if args.skip_await:
                    meta = {**meta, "annotations": {**(meta.get("annotations") or {}), SKIP_AWAIT: "true"}}
                k8s.networking.v1.Ingress(object_name, metadata=meta, spec=obj["spec"], opts=child)
            else:
                # Gateway API and policy-attachment kinds: CRDs installed with the controller.
                k8s.apiextensions.CustomResource(
                    f"{kind.lower()}-{object_name}",
                    api_version=obj["apiVersion"],
                    kind=kind,
                    metadata=meta,
                    spec=obj["spec"],
                    opts=child,
                )
        outputs: dict[str, Any] = {"mode": args.ingress.mode}
        if args.ingress.mode == "ingress-nginx":
            outputs["allowedResponseHeaders"] = allowed_response_headers(args)
        self.register_outputs(outputs)
