"""PlatformNamespace: the namespace and its guardrails (Pod Security Admission, quota, limits)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config.namespace import NamespaceSpec
from components.kube.metadata import metadata
from components.kube.namespace import (
    limit_range_spec,
    namespace_labels,
    platform_namespace_metadata,
    quota_spec,
)


@dataclass(frozen=True)
class PlatformNamespaceArgs:
    spec: NamespaceSpec
    part_of: str


class PlatformNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:PlatformNamespace", name, None, opts)
        spec = args.spec
        labels = namespace_labels(args.part_of)
        namespace = k8s.core.v1.Namespace(
            name,
            metadata=platform_namespace_metadata(spec, args.part_of),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Guardrails must exist before any workload is admitted into the namespace.
        after_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        self.quota = k8s.core.v1.ResourceQuota(
            name,
            metadata=metadata("platform-quota", spec.name, labels),
            spec=quota_spec(spec),
            opts=after_namespace,
        )
        self.limit_range = k8s.core.v1.LimitRange(
            name,
            metadata=metadata("platform-limits", spec.name, labels),
            spec=limit_range_spec(spec),
            opts=after_namespace,
        )
        # Workloads take the namespace from here, so they wait for quota and limits.
        self.name = pulumi.Output.all(namespace.id, self.quota.id, self.limit_range.id).apply(
            lambda _ids: spec.name
        )
        self.register_outputs({"name": self.name})
