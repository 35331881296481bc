"""The Kubernetes target: the plan as SecureDeployments, MonitoringStack, LoggingStack,
IngressWithHeaders and ZeroTrustNetwork in a PlatformNamespace.

The one place the estate's config and plan become the components' Args: the components
know nothing of EstateConfig, EstatePlan or the stack keys.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.config.cdn import check_origin_auth_secret
from components.config.edge import EdgeSpec
from components.config.estate import EstateConfig
from components.config.routing import serving_route
from components.config.secrets import EstateSecrets
from components.ingress_with_headers import IngressWithHeaders, IngressWithHeadersArgs
from components.kube import ingress as ing
from components.logging_stack import LoggingStack, LoggingStackArgs
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.plan.estate import EstatePlan
from components.platform_namespace import PlatformNamespace, PlatformNamespaceArgs
from components.resources.images import image_refs
from components.resources.secret_objects import SecretSink, cluster_secret_store
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs
from components.zero_trust_network import ZeroTrustNetwork, ZeroTrustNetworkArgs


def kubernetes_provider(config: EstateConfig) -> k8s.Provider:
    kube = config.kubernetes
    if kube.render_directory:
        # The local stack: no cluster, every manifest written to a directory instead.
        return k8s.Provider("kubernetes", render_yaml_to_directory=kube.render_directory)
    return k8s.Provider("kubernetes", context=kube.context, enable_server_side_apply=True)


def routed_paths(edge: EdgeSpec, ports: Mapping[str, Mapping[str, int]]) -> ing.EdgePlan:
    """Every path of the edge, in its timeout class, with the Service that serves it: the
    route covering it, its backend's port by name in `ports` (backend -> port name -> number).
    The callers' gates hold each path to one class and one listing, and each route to a port."""
    streaming = [*edge.stream_paths, *edge.websocket_paths]
    special = {*streaming, *edge.ml_paths}
    standard = [r.path for r in edge.route_list if r.path not in special]

    def backend(path: str) -> ing.Backend:
        route = serving_route(edge.route_list, path)
        assert route is not None, path
        return ing.Backend(route.backend, ports[route.backend][route.port])

    return ing.EdgePlan(
        standard=[ing.EdgePath(p, backend(p)) for p in standard],
        ml=[ing.EdgePath(p, backend(p)) for p in edge.ml_paths],
        streaming=[ing.EdgePath(p, backend(p)) for p in streaming],
    )


def edge_plan(config: EstateConfig) -> ing.EdgePlan:
    """The estate's edge paths, each with its workload's Service (the gate refuses a path no
    route serves)."""
    return routed_paths(config.edge, {name: spec.ports for name, spec in config.workloads.items()})


def edge_args(
    config: EstateConfig, namespace: str, secrets: EstateSecrets, sink: SecretSink | None
) -> IngressWithHeadersArgs:
    origin_auth = None
    if config.cdn.enabled and not config.secrets.external:
        # The stack's value is checked under its stack key (the gate asks for it; its value is
        # known only here); the component checks its own argument again.
        origin_auth = secrets["cdnOriginAuth"].apply(check_origin_auth_secret)
    return IngressWithHeadersArgs(
        namespace=namespace,
        edge=config.edge,
        paths=edge_plan(config),
        part_of=config.part_of,
        ingress=config.ingress,
        cdn=config.cdn,
        cdn_origin_auth=origin_auth,
        secrets=sink,
        skip_await=config.kubernetes.skip_await,
    )


def allowed_response_headers(config: EstateConfig) -> str:
    """The ingress-nginx `global-allowed-response-headers` value this estate's edge needs."""
    return ",".join(ing.allowed_response_headers(config.edge, config.cdn, edge_plan(config)))


def build(config: EstateConfig, plan: EstatePlan, secrets: EstateSecrets) -> dict[str, pulumi.Input[object]]:
    """Registers the estate; returns the stack outputs (names and references, never secrets)."""
    provider = kubernetes_provider(config)
    with_provider = pulumi.ResourceOptions(providers=[provider])
    namespace = PlatformNamespace(
        "platform", PlatformNamespaceArgs(config.namespace, config.part_of), opts=with_provider
    )
    # Pinned references, or `repository@digest` of this stack's builds: a new image rolls the pods.
    refs = image_refs(config, secrets)
    # Who writes the workloads' Secrets: Pulumi, or the External Secrets Operator.
    sink = SecretSink(config.secrets, secrets, config.kubernetes.redacts_secret_values)
    if config.secrets.external:
        cluster_secret_store(
            config.secrets, plan.secret_namespaces, config.part_of, config.version, with_provider
        )
    part_of, version, skip_await = config.part_of, config.version, config.kubernetes.skip_await
    deployments: dict[str, SecureDeployment] = {}
    for name, planned in plan.platform.items():
        deployments[name] = SecureDeployment(
            name,
            SecureDeploymentArgs.planned(
                planned,
                namespace.name,
                refs[planned.image],
                sink,
                part_of=part_of,
                version=version,
                skip_await=skip_await,
            ),
            opts=pulumi.ResourceOptions(
                providers=[provider],
                aliases=[pulumi.Alias(name=old) for old in planned.spec.aliases],
            ),
        )

    if config.monitoring.enabled:
        MonitoringStack(
            "monitoring",
            MonitoringStackArgs(
                namespace=namespace.name,
                workloads=plan.monitoring,
                secrets=sink,
                node_metrics_role=f"{config.namespace.name}-prometheus-nodes"
                if config.monitoring.nodes.enabled
                else None,
                part_of=part_of,
                version=version,
                skip_await=skip_await,
            ),
            opts=with_provider,
        )

    if config.logging.enabled:
        LoggingStack(
            "logging",
            LoggingStackArgs(
                spec=config.logging,
                shipped_namespaces=plan.logged_namespaces,
                part_of=part_of,
                version=version,
                secrets=sink,
                dns=config.network.dns,
            ),
            opts=with_provider,
        )

    if config.ingress.enabled:
        IngressWithHeaders(
            "edge",
            edge_args(config, config.namespace.name, secrets, sink),
            # The edge's objects wait for the namespace and its guardrails.
            opts=pulumi.ResourceOptions(providers=[provider], depends_on=[namespace]),
        )

    if config.network.enabled:
        ZeroTrustNetwork("network", ZeroTrustNetworkArgs(plan.network, namespace.name), opts=with_provider)

    return {
        "namespace": namespace.name,
        "services": {
            name: d.service_name for name, d in deployments.items() if plan.platform[name].spec.ports
        },
        "images": {name: refs[planned.image] for name, planned in plan.platform.items()},
    }
