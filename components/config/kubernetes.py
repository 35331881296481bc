"""How the stack reaches Kubernetes: a real cluster, or a directory of rendered YAML."""

from __future__ import annotations

from .base import StrictModel
from .types import Line


class KubernetesSpec(StrictModel):
    context: Line | None = None
    # Set for the local stack: the provider writes manifests here instead of calling a cluster.
    render_directory: Line | None = None
    # The provider's render mode writes Secrets to those files base64-encoded, which is
    # plain text to anyone who reads them; so by default rendered Secrets keep their keys
    # and carry a placeholder instead of the value. Setting this writes the real values.
    render_secret_values: bool = False
    # For clusters with no nodes (the test control plane): do not wait for Pods to become ready.
    skip_await: bool = False

    @property
    def redacts_secret_values(self) -> bool:
        return self.render_directory is not None and not self.render_secret_values
