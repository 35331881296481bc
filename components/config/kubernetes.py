"""How the stack reaches Kubernetes: a real cluster, or a directory of rendered YAML."""

from __future__ import annotations

from .base import StrictModel


class KubernetesSpec(StrictModel):
    context: str | None = None
    # Set for the local stack: the provider writes manifests here instead of calling a cluster.
    render_directory: str | None = None
    # For clusters with no nodes (the test control plane): do not wait for Pods to become ready.
    skip_await: bool = False
