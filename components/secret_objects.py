"""The one switch between the two secret sources: who writes a workload's Secret.

With the Pulumi source a Secret is registered with its values from Pulumi secret config;
with an external one an ExternalSecret instead, and the operator writes a Secret of the
same name and keys from the secrets manager. Components ask a sink for a
Secret and never look at the source themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config.estate import EstateConfig
from components.config.secrets import EstateSecrets
from components.config.secrets_source import SecretsSpec
from components.kube.external_secrets import API_VERSION, cluster_secret_store_spec, external_secret_spec
from components.kube.labels import recommended_labels
from components.kube.metadata import metadata
from components.secret_text import SecretText

REDACTED = "<not rendered: set kubernetes.renderSecretValues to write secret values>"


@dataclass(frozen=True)
class SecretSink:
    source: SecretsSpec
    # Read only with the Pulumi source; empty with an external one.
    secrets: EstateSecrets
    # Secrets keep their keys but not their values (a render target writes plain files).
    redact: bool = False

    def secret(
        self,
        name: str,
        namespace: pulumi.Input[str],
        labels: Mapping[str, str],
        values: Mapping[str, SecretText],
        opts: pulumi.ResourceOptions,
    ) -> pulumi.Resource:
        """Secret `name` with these keys, written by Pulumi or by the operator."""
        meta = metadata(name, namespace, labels)
        if self.source.external:
            return k8s.apiextensions.CustomResource(
                name,
                api_version=API_VERSION,
                kind="ExternalSecret",
                metadata=meta,
                spec=external_secret_spec(self.source, name, labels, values),
                opts=opts,
            )
        return k8s.core.v1.Secret(
            name,
            metadata=meta,
            type="Opaque",
            string_data={
                key: REDACTED if self.redact else value.resolve(self.secrets.values)
                for key, value in values.items()
            },
            opts=opts,
        )


def secret_namespaces(config: EstateConfig) -> list[str]:
    """The namespaces whose workloads consume Secrets: the only ones the store serves."""
    namespaces = [config.namespace.name]
    if config.logging.enabled:
        namespaces.append(config.logging.namespace)
    return namespaces


def cluster_secret_store(
    config: EstateConfig, namespaces: list[str], opts: pulumi.ResourceOptions
) -> pulumi.Resource:
    spec = config.secrets
    labels = recommended_labels(spec.store_name, "secrets", config.part_of, config.version)
    return k8s.apiextensions.CustomResource(
        spec.store_name,
        api_version=API_VERSION,
        kind="ClusterSecretStore",
        metadata=metadata(spec.store_name, None, labels),
        spec=cluster_secret_store_spec(spec, namespaces),
        opts=opts,
    )
