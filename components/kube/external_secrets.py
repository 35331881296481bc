"""External Secrets Operator objects (API external-secrets.io/v1): pure builders.

Conventions are the operator's own: the ExternalSecret owns the Secret it writes
(creationPolicy Owner, so deleting the ExternalSecret removes the Secret and the operator
recreates a Secret someone deletes), a deleted remote value leaves the last Secret in
place (deletionPolicy Retain), and values are fetched again every refreshInterval.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config.secrets_source import SecretsSpec, ServiceAccountRef
from components.values.secret_text import SecretText

API_VERSION = "external-secrets.io/v1"


def _account(account: ServiceAccountRef) -> dict[str, str]:
    return {"name": account.name, "namespace": account.namespace}


def provider(spec: SecretsSpec) -> dict[str, Any]:
    """The ClusterSecretStore's provider section for the configured backend."""
    if spec.backend == "vault" and spec.vault is not None:
        vault = spec.vault
        section: dict[str, Any] = {
            "server": vault.server,
            "path": vault.path,
            "version": vault.version,
            "auth": {
                "kubernetes": {
                    "mountPath": vault.auth_mount_path,
                    "role": vault.role,
                    "serviceAccountRef": _account(vault.service_account),
                }
            },
        }
        if vault.namespace is not None:
            section["namespace"] = vault.namespace
        return {"vault": section}
    if spec.backend == "aws" and spec.aws is not None:
        aws = spec.aws
        section = {
            "service": "SecretsManager",
            "region": aws.region,
            "auth": {"jwt": {"serviceAccountRef": _account(aws.service_account)}},
        }
        if aws.role is not None:
            section["role"] = aws.role
        return {"aws": section}
    raise ValueError(f"secrets.backend {spec.backend!r} has no configuration section")


def cluster_secret_store_spec(spec: SecretsSpec, namespaces: list[str]) -> dict[str, Any]:
    # Cluster-scoped, so it is limited to the namespaces that consume it: an ExternalSecret
    # anywhere else cannot read the estate's secrets through it.
    return {"provider": provider(spec), "conditions": [{"namespaces": sorted(namespaces)}]}


def external_secret_spec(
    spec: SecretsSpec, target: str, labels: Mapping[str, str], values: Mapping[str, SecretText]
) -> dict[str, Any]:
    """Fetches the secrets `values` use and writes Secret `target` with exactly those keys."""
    keys = sorted({key for value in values.values() for key in value.keys})
    data = []
    for key in keys:
        ref = spec.remote_ref(key)
        data.append({"secretKey": key, "remoteRef": {"key": ref.key, "property": ref.property}})
    return {
        "refreshInterval": spec.refresh_interval,
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": spec.store_name},
        "target": {
            "name": target,
            "creationPolicy": "Owner",
            "deletionPolicy": "Retain",
            "template": {
                "engineVersion": "v2",
                "type": "Opaque",
                "mergePolicy": "Replace",
                "metadata": {"labels": dict(labels)},
                "data": {name: value.go_template() for name, value in values.items()},
            },
        },
        "data": data,
    }
