"""Where the workloads' secret values come from: Pulumi config (today), or a secrets manager.

With `source: external` the program never sees a secret value: it declares External
Secrets Operator objects (one ClusterSecretStore for the configured backend, one
ExternalSecret per Kubernetes Secret the workloads consume) and the operator, running in
the cluster, fetches the values and writes the same Secrets the pods already reference.
The operator itself (and its CRDs) is installed by the cluster's operators, like Loki.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.datastores import settings as datastores

from .base import StrictModel
from .types import DnsLabel

# The operator's refresh interval is a Go time.Duration ("1h", "15m", "1h30m"); "0" would
# mean "fetch once, never refresh", which silently freezes a rotated secret, so it is refused.
_GO_DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")


def _check_refresh(value: str) -> str:
    if not value or not _GO_DURATION.match(value) or not re.search(r"[1-9]", value):
        raise ValueError("expected a positive duration in hours, minutes, seconds, such as 1h, 15m or 1h30m")
    return value


def _check_https(value: str) -> str:
    # Secret values travel over this connection: plain http is never acceptable.
    if not re.match(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?/?$", value):
        raise ValueError("expected an https:// URL of the server (scheme, host and optional port only)")
    return value


# A path segment of the secrets manager: no whitespace, no quotes, no template braces.
_REMOTE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+=@-]{0,511}$")


def _check_remote(value: str) -> str:
    if not _REMOTE.match(value) or ".." in value.split("/"):
        raise ValueError(
            "expected a secrets-manager key: letters, digits and . _ / + = @ - "
            "(no spaces, quotes, braces or '..'), at most 512 characters"
        )
    return value


# The values workloads consume; the manager holds them, Pulumi config only with source: pulumi.
# Each datastore role keeps its own secret in both sources (docs/datastores.md).
WORKLOAD_SECRET_KEYS = (
    *datastores.secret_keys(),
    "pagerdutyRoutingKey",
    "loggingPassword",
    # Not a workload's: the Gateway's CDN client Secret (with cdn.enabled).
    "cdnOriginAuth",
)


def is_workload_secret_key(key: str) -> bool:
    """A value a workload consumes: a fixed key, or a datastore's per-workload key."""
    return key in WORKLOAD_SECRET_KEYS or datastores.is_secret_key(key)


RefreshInterval = Annotated[str, AfterValidator(_check_refresh)]
HttpsUrl = Annotated[str, AfterValidator(_check_https)]
RemoteKey = Annotated[str, AfterValidator(_check_remote)]


class ServiceAccountRef(StrictModel):
    """The operator authenticates as this ServiceAccount's projected token (never a static key)."""

    name: DnsLabel = Field(
        "external-secrets",
        description=(
            "the ServiceAccount whose projected token the External Secrets operator authenticates with"
        ),
    )
    namespace: DnsLabel = Field("external-secrets", description="that ServiceAccount's namespace")


class VaultBackend(StrictModel):
    """HashiCorp Vault or OpenBao (same API), KV secrets engine, Kubernetes auth method."""

    server: HttpsUrl = Field(
        description=("the Vault/OpenBao address (https only) in the ClusterSecretStore's vault provider"),
        examples=["https://vault.example.org"],
    )
    # Mount path of the KV engine and its version (OpenBao and Vault default to kv v2 at "secret").
    path: RemoteKey = Field(
        "secret", description="the mount path of the KV secrets engine the values are read from"
    )
    version: Literal["v1", "v2"] = Field("v2", description="the KV engine version (v1 or v2) the store reads")
    # Vault Enterprise / OpenBao namespace, if any.
    namespace: RemoteKey | None = Field(
        None,
        description="the Vault Enterprise / OpenBao namespace of the store, if any",
        examples=["education"],
    )
    auth_mount_path: RemoteKey = Field(
        "kubernetes",
        description=("the mount path of Vault's Kubernetes auth method the operator logs in through"),
    )
    role: RemoteKey = Field(
        description="the Vault role the operator logs in as (it grants read on the values)",
        examples=["shiksha-setu"],
    )
    service_account: ServiceAccountRef = Field(
        ServiceAccountRef(), description="the ServiceAccount whose token the operator presents to Vault"
    )


class AwsBackend(StrictModel):
    """AWS Secrets Manager; the operator assumes `role` with the ServiceAccount's web identity (IRSA)."""

    region: str = Field(
        pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$",
        description="the AWS region of Secrets Manager in the ClusterSecretStore",
        examples=["ap-south-1"],
    )
    role: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$",
        description=(
            "the IAM role ARN the operator assumes to read the secrets; unset: the "
            "ServiceAccount's own role (IRSA)"
        ),
        examples=["arn:aws:iam::123456789012:role/shiksha-setu-secrets"],
    )
    service_account: ServiceAccountRef = Field(
        ServiceAccountRef(), description="the ServiceAccount whose web identity (IRSA) the operator uses"
    )


class RemoteRef(StrictModel):
    key: RemoteKey = Field(
        description=("the remote secret (Vault KV path or AWS secret name) holding this value"),
        examples=["shiksha-setu/alerting"],
    )
    property: RemoteKey = Field(
        description="the property (JSON key) of that remote secret that is the value", examples=["password"]
    )


class SecretsSpec(StrictModel):
    source: Literal["pulumi", "external"] = Field(
        "pulumi",
        description=(
            "where Secret values come from: pulumi (this stack's encrypted config) "
            "or external (an External Secrets ClusterSecretStore and "
            "ExternalSecrets)"
        ),
    )
    # The operator's own default; a rotated value reaches the Secret within this interval.
    refresh_interval: RefreshInterval = Field(
        "1h",
        description=(
            "how often the ExternalSecrets re-read the backend (refreshInterval): a"
            " rotated value reaches the Secret within it"
        ),
    )
    store_name: DnsLabel = Field(
        "shiksha-setu",
        description=("the name of the ClusterSecretStore created and referenced by every ExternalSecret"),
    )
    backend: Literal["vault", "aws"] | None = Field(
        None,
        description=("the ClusterSecretStore's provider (vault or aws); required with source external"),
        examples=["vault"],
    )
    vault: VaultBackend | None = Field(
        None,
        description="the Vault/OpenBao provider settings, with backend vault",
        examples=[{"server": "https://vault.example.org", "role": "shiksha-setu"}],
    )
    aws: AwsBackend | None = Field(
        None,
        description="the AWS Secrets Manager provider settings, with backend aws",
        examples=[{"region": "ap-south-1"}],
    )
    # By default every value is one property of a single secret at `remoteKey`
    # (a Vault KV path, an AWS secret holding JSON); `remoteRefs` moves single values.
    remote_key: RemoteKey = Field(
        "shiksha-setu",
        description=(
            "the one remote secret every value is a property of by default (a Vault"
            " KV path, an AWS secret of JSON)"
        ),
    )
    remote_refs: dict[str, RemoteRef] = Field(
        default_factory=dict,
        description="secret key -> another remote secret and property for that one value",
        examples=[{"pagerdutyRoutingKey": {"key": "shiksha-setu/alerting", "property": "routing-key"}}],
    )

    @model_validator(mode="after")
    def _backend_configured(self) -> SecretsSpec:
        for key in self.remote_refs:
            if not is_workload_secret_key(key):
                raise ValueError(
                    f"remoteRefs.{key}: not a secret the workloads consume "
                    f"(known: {', '.join(WORKLOAD_SECRET_KEYS)}, and the per-workload "
                    f"{', '.join(p + '<workload>' for p in datastores.secret_key_prefixes())})"
                )
        if self.source == "pulumi":
            return self
        if self.backend is None:
            raise ValueError("backend: required when source is 'external' (vault or aws)")
        if getattr(self, self.backend) is None:
            raise ValueError(
                f"{self.backend}: required when backend is {self.backend!r} "
                f"(the {self.backend} section configures the ClusterSecretStore)"
            )
        return self

    @property
    def external(self) -> bool:
        return self.source == "external"

    def remote_ref(self, secret_key: str) -> RemoteRef:
        return self.remote_refs.get(secret_key) or RemoteRef(key=self.remote_key, property=secret_key)
