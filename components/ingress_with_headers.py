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

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.cdn import check_origin_auth_secret, served_hosts
from components.config.errors import ConfigError
from components.config.estate import EstateConfig
from components.config.routing import serving_route
from components.kube import gateway as gw
from components.kube import ingress as ing
from components.kube.labels import MANAGED_BY
from components.secret_objects import SecretSink, plain_secret
from components.values.secret_text import secret

COMPONENT = "edge"


def _backend(config: EstateConfig, path: str) -> ing.Backend:
    # The gate refuses a path no route serves.
    route = serving_route(config.edge.route_list, path)
    assert route is not None, path
    return ing.Backend(route.backend, config.workloads[route.backend].ports[route.port])


def edge_plan(config: EstateConfig) -> ing.EdgePlan:
    """Every path of the edge, in its timeout class, with the Service that serves it."""
    edge = config.edge
    streaming = list(dict.fromkeys([*edge.stream_paths, *edge.websocket_paths]))
    ml = [p for p in dict.fromkeys(edge.ml_paths) if p not in streaming]
    special = set(streaming) | set(ml)
    standard = [r.path for r in edge.route_list if r.path not in special]
    return ing.EdgePlan(
        standard=[ing.EdgePath(p, _backend(config, p)) for p in standard],
        ml=[ing.EdgePath(p, _backend(config, p)) for p in ml],
        streaming=[ing.EdgePath(p, _backend(config, p)) for p in streaming],
    )


def allowed_response_headers(config: EstateConfig) -> str:
    """The ingress-nginx `global-allowed-response-headers` value the custom headers need."""
    return ",".join(ing.allowed_response_headers(config.edge, config.cdn, edge_plan(config)))


def edge_objects(config: EstateConfig, namespace: Any) -> list[dict[str, Any]]:
    """Every object of the edge for the configured mode, as plain dicts."""
    labels = {
        "app.kubernetes.io/name": "edge",
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/part-of": config.part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    edge, ingress, plan = config.edge, config.ingress, edge_plan(config)
    # With a CDN, the origin host it connects to is served like the public hosts.
    edge = edge.model_copy(update={"hosts": served_hosts(edge, config.cdn)})
    name = config.part_of
    if ingress.mode == "ingress-nginx":
        return [
            *ing.headers_config_maps(
                ingress.ingress_nginx.headers_config_map, namespace, labels, edge, config.cdn, plan
            ),
            *ing.ingresses(name, namespace, labels, edge, ingress, plan, config.cdn),
        ]
    gateway_name = ingress.gateway_api.gateway_name
    provider = gw.POLICY_PROVIDERS[ingress.gateway_api.policy_provider]
    policies = provider(gw.PolicyContext(namespace, labels, edge, name, config.cdn))
    return [
        gw.gateway(gateway_name, namespace, labels, edge, ingress),
        gw.redirect_route(f"{name}-http-redirect", namespace, labels, gateway_name, edge),
        gw.https_route(name, namespace, labels, gateway_name, edge, plan, config.cdn, policies),
        *policies.objects,
        *([gw.cdn_origin_secret(name, namespace, labels)] if config.cdn.enabled else []),
    ]


def _cdn_origin_secret(
    name: str,
    meta: dict[str, Any],
    config: EstateConfig,
    value: pulumi.Output[str] | None,
    sink: SecretSink | None,
    opts: pulumi.ResourceOptions,
) -> None:
    """The CDN's shared value, kept a secret Output (and redacted where manifests are files)."""
    if sink is not None and sink.source.external:
        # The operator writes it from the secrets manager: Pulumi never sees the value, so
        # check_origin_auth_secret cannot run (docs/secrets-manager.md says what to store).
        sink.secret(
            name, meta["namespace"], meta.get("labels", {}), {gw.CDN_CLIENT_ID: secret("cdnOriginAuth")}, opts
        )
        return
    if value is None:
        raise ConfigError(["shiksha-setu:cdnOriginAuth: cdn.enabled needs the secret"])
    checked: pulumi.Output[str] = value.apply(check_origin_auth_secret)
    plain_secret(name, meta, {gw.CDN_CLIENT_ID: checked}, config.kubernetes.redacts_secret_values, opts)


@dataclass(frozen=True)
class IngressWithHeadersArgs:
    config: EstateConfig
    # The namespace's name as an Output, so the edge waits for the namespace's guardrails.
    namespace: pulumi.Input[str]
    # The secret cdnOriginAuth, with cdn.enabled: the value the CDN's header must carry.
    cdn_origin_auth: pulumi.Output[str] | None = None
    # Who writes the Secrets (with secrets.source external: the operator, cdnOriginAuth included).
    secrets: SecretSink | None = None


class IngressWithHeaders(pulumi.ComponentResource):
    def __init__(self, name: str, args: IngressWithHeadersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:IngressWithHeaders", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        for obj in edge_objects(config, config.namespace.name):
            meta = {**obj["metadata"], "namespace": args.namespace}
            kind, object_name = obj["kind"], meta["name"]
            if kind == "ConfigMap":
                k8s.core.v1.ConfigMap(object_name, metadata=meta, data=obj["data"], opts=child)
            elif kind == "Secret":
                _cdn_origin_secret(object_name, meta, config, args.cdn_origin_auth, args.secrets, child)
            elif kind == "Ingress":
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
        outputs: dict[str, Any] = {"mode": config.ingress.mode}
        if config.ingress.mode == "ingress-nginx":
            outputs["allowedResponseHeaders"] = allowed_response_headers(config)
        self.register_outputs(outputs)
