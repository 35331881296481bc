"""The one switch between the two secret sources: who writes a workload's Secret.

With the Pulumi source a Secret is registered with its values from Pulumi secret config;
with an external one an ExternalSecret instead, and the operator writes a Secret of the
same name and keys from the secrets manager. Components ask a sink for a
Secret and never look at the source themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.secrets import EstateSecrets
from components.config.secrets_source import SecretsSpec
from components.kube.external_secrets import API_VERSION, cluster_secret_store_spec, external_secret_spec
from components.kube.labels import recommended_labels
from components.kube.metadata import metadata
from components.values.secret_text import SecretText

# A rendered Secret without its values names its keys here (see `plain_secret`).
SECRET_KEYS = "shiksha-setu/secret-keys"  # noqa: S105 (an annotation name, not a password)
NOT_RENDERED = "shiksha-setu/secret-values"
NOT_RENDERED_NOTE = "not rendered: set kubernetes.renderSecretValues to write them"


def plain_secret(
    name: str,
    meta: dict[str, Any],
    values: Mapping[str, pulumi.Input[str]],
    redact: bool,
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """A Secret whose values stay secret Outputs; where manifests are files (`redact`), one
    that names its keys and holds no data."""
    if redact:
        # The provider treats any data of a Secret as secret and warns that a render target
        # writes it in plain text, placeholder or not. So the rendered Secret names its keys in
        # an annotation and holds no data: nothing to warn about, and a stray `kubectl apply`
        # cannot replace real values with placeholders.
        annotations = {SECRET_KEYS: ",".join(sorted(values)), NOT_RENDERED: NOT_RENDERED_NOTE}
        meta = {**meta, "annotations": {**(meta.get("annotations") or {}), **annotations}}
        return k8s.core.v1.Secret(name, metadata=meta, type="Opaque", opts=opts)
    return k8s.core.v1.Secret(
        name,
        metadata=meta,
        type="Opaque",
        string_data={key: pulumi.Output.secret(value) for key, value in values.items()},
        opts=opts,
    )


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
        resolved = {key: value.resolve(self.secrets.values) for key, value in values.items()}
        return plain_secret(name, meta, resolved, self.redact, opts)


def cluster_secret_store(
    spec: SecretsSpec,
    namespaces: Sequence[str],
    part_of: str,
    version: str | None,
    opts: pulumi.ResourceOptions,
) -> pulumi.Resource:
    """The operator's ClusterSecretStore, serving only `namespaces`."""
    labels = recommended_labels(spec.store_name, "secrets", part_of, version)
    return k8s.apiextensions.CustomResource(
        spec.store_name,
        api_version=API_VERSION,
        kind="ClusterSecretStore",
        metadata=metadata(spec.store_name, None, labels),
        spec=cluster_secret_store_spec(spec, list(namespaces)),
        opts=opts,
    )
