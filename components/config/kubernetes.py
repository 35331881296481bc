"""How the stack reaches Kubernetes: a real cluster, or a directory of rendered YAML."""

from __future__ import annotations

from pydantic import Field

from .base import StrictModel
from .types import Line


class KubernetesSpec(StrictModel):
    context: Line | None = Field(
        None,
        description=("the kubeconfig context the Kubernetes provider uses; unset: the current context"),
        examples=["prod-cluster-admin"],
    )
    # Set for the local stack: the provider writes manifests here instead of calling a cluster.
    render_directory: Line | None = Field(
        None,
        description=(
            "when set, the provider writes YAML manifests to this directory instead"
            " of calling a cluster (the local stack)"
        ),
        examples=["rendered/local"],
    )
    # The provider's render mode writes Secrets to those files base64-encoded, which is
    # plain text to anyone who reads them; so by default rendered Secrets name their keys
    # in an annotation and carry no values. Setting this writes the real values.
    render_secret_values: bool = Field(
        False,
        description=(
            "true writes real Secret values into the rendered manifests (by default"
            " they name their keys in an annotation only)"
        ),
    )
    # For clusters with no nodes (the test control plane): do not wait for Pods to become ready.
    skip_await: bool = Field(
        False,
        description=(
            "true: the provider does not wait for Pods to become ready "
            "(pulumi.com/skipAwait on the workloads)"
        ),
    )

    @property
    def redacts_secret_values(self) -> bool:
        return self.render_directory is not None and not self.render_secret_values
