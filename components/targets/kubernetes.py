"""The Kubernetes target: the plan as SecureDeployments, MonitoringStack, LoggingStack,
IngressWithHeaders and ZeroTrustNetwork in a PlatformNamespace."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config.estate import EstateConfig
from components.config.secrets import EstateSecrets
from components.resources.images import image_refs
from components.ingress_with_headers import IngressWithHeaders, IngressWithHeadersArgs
from components.logging_stack import LoggingStack, LoggingStackArgs
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.plan.estate import EstatePlan
from components.platform_namespace import PlatformNamespace, PlatformNamespaceArgs
from components.resources.secret_objects import SecretSink, cluster_secret_store, secret_namespaces
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs
from components.zero_trust_network import ZeroTrustNetwork, ZeroTrustNetworkArgs


def kubernetes_provider(config: EstateConfig) -> k8s.Provider:
    kube = config.kubernetes
    if kube.render_directory:
        # The local stack: no cluster, every manifest written to a directory instead.
        return k8s.Provider("kubernetes", render_yaml_to_directory=kube.render_directory)
    return k8s.Provider("kubernetes", context=kube.context, enable_server_side_apply=True)


def build(plan: EstatePlan, secrets: EstateSecrets) -> dict[str, pulumi.Input[object]]:
    """Registers the estate; returns the stack outputs (names and references, never secrets)."""
    config = plan.config
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
        cluster_secret_store(config, secret_namespaces(config), with_provider)
    deployments: dict[str, SecureDeployment] = {}
    for name, planned in plan.platform.items():
        deployments[name] = SecureDeployment(
            name,
            SecureDeploymentArgs.planned(planned, config, namespace.name, refs[planned.image], sink),
            opts=pulumi.ResourceOptions(
                providers=[provider],
                aliases=[pulumi.Alias(name=old) for old in planned.spec.aliases],
            ),
        )

    if config.monitoring.enabled:
        MonitoringStack(
            "monitoring",
            MonitoringStackArgs(config, sink, namespace.name, plan.monitoring),
            opts=with_provider,
        )

    if config.logging.enabled:
        LoggingStack("logging", LoggingStackArgs(config, sink), opts=with_provider)

    if config.ingress.enabled:
        IngressWithHeaders(
            "edge",
            IngressWithHeadersArgs(config, namespace.name, secrets.get("cdnOriginAuth"), sink),
            opts=with_provider,
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
