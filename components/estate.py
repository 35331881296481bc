"""Assembles the whole estate for the stack's target from the validated config."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.config.estate import EstateConfig
from components.config.secrets import EstateSecrets
from components.images import image_refs
from components.ingress_with_headers import IngressWithHeaders, IngressWithHeadersArgs
from components.logging_stack import LoggingStack, LoggingStackArgs
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.platform_namespace import PlatformNamespace, PlatformNamespaceArgs
from components.secret_objects import SecretSink, cluster_secret_store, secret_namespaces
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs
from components.wiring import wire
from components.zero_trust_network import (
    ZeroTrustNetwork,
    ZeroTrustNetworkArgs,
    network_intent,
)


@dataclass
class Estate:
    """What the stack exports: names and references, never secret values."""

    outputs: dict[str, pulumi.Input[object]] = field(default_factory=dict)


def kubernetes_provider(config: EstateConfig) -> k8s.Provider:
    kube = config.kubernetes
    if kube.render_directory:
        # The local stack: no cluster, every manifest written to a directory instead.
        return k8s.Provider("kubernetes", render_yaml_to_directory=kube.render_directory)
    return k8s.Provider("kubernetes", context=kube.context, enable_server_side_apply=True)


def build_kubernetes_estate(config: EstateConfig, secrets: EstateSecrets) -> Estate:
    # The config passed the gate (components/config/loader.py): every reference resolves.
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
    for name in config.enabled_workloads:
        wiring = wire(name, config)
        deployments[name] = SecureDeployment(
            name,
            SecureDeploymentArgs(
                spec=wiring.spec,
                namespace=namespace.name,
                image=refs[wiring.spec.image],
                part_of=config.part_of,
                version=config.version,
                files=wiring.files,
                secret_env=wiring.secret_env,
                skip_await=config.kubernetes.skip_await,
                secrets=sink,
            ),
            opts=pulumi.ResourceOptions(
                providers=[provider],
                aliases=[pulumi.Alias(name=old) for old in wiring.spec.aliases],
            ),
        )

    if config.monitoring.enabled:
        MonitoringStack("monitoring", MonitoringStackArgs(config, sink, namespace.name), opts=with_provider)

    if config.logging.enabled:
        LoggingStack("logging", LoggingStackArgs(config, sink), opts=with_provider)

    if config.ingress.enabled:
        IngressWithHeaders(
            "edge",
            IngressWithHeadersArgs(config, namespace.name, secrets.get("cdnOriginAuth"), sink),
            opts=with_provider,
        )

    if config.network.enabled:
        ZeroTrustNetwork(
            "network", ZeroTrustNetworkArgs(network_intent(config), namespace.name), opts=with_provider
        )

    return Estate(
        {
            "namespace": namespace.name,
            "services": {
                name: d.service_name for name, d in deployments.items() if config.workloads[name].ports
            },
            "images": {name: refs[spec.image] for name, spec in config.enabled_workloads.items()},
        }
    )


def build_estate(config: EstateConfig, secrets: EstateSecrets) -> Estate:
    if config.target == "docker-host":
        from components.docker_host import build_docker_host_estate

        return build_docker_host_estate(config, secrets)
    return build_kubernetes_estate(config, secrets)
