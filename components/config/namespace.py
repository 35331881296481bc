"""The platform namespace and its guardrails: Pod Security Admission, quota, limit range."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import StrictModel
from .types import (
    CpuQuantity,
    DnsLabel,
    Int32,
    MemoryQuantity,
    PositiveInt32,
    cpu_millicores,
    memory_bytes,
)


class QuotaSpec(StrictModel):
    # The changelog's namespace budget: 20 CPU and 40Gi of memory requested. Limits are
    # checked at full scale (every autoscaler at its maximum, plus each rollout's surge
    # pod; components/config/references.py), where the estate's limits add up to about
    # 25 CPU and 43Gi: the limit quota leaves room above that.
    requests_cpu: CpuQuantity = Field(
        "20",
        description=("the ResourceQuota's requests.cpu: CPU all pods of the namespace may request together"),
    )
    requests_memory: MemoryQuantity = Field(
        "40Gi", description=("the ResourceQuota's requests.memory: memory all pods may request together")
    )
    limits_cpu: CpuQuantity = Field(
        "32",
        description=(
            "the ResourceQuota's limits.cpu: the sum of the pods' CPU limits (the "
            "gate checks the estate at full scale against it)"
        ),
    )
    limits_memory: MemoryQuantity = Field(
        "64Gi",
        description=(
            "the ResourceQuota's limits.memory: the sum of the pods' memory limits "
            "(checked at full scale by the gate)"
        ),
    )
    requests_gpu: Int32 = Field(
        2, description=("the ResourceQuota's requests.nvidia.com/gpu: GPUs the namespace may request")
    )
    pods: PositiveInt32 = Field(
        50, description="the ResourceQuota's pods: pods that may exist in the namespace"
    )
    services: PositiveInt32 = Field(20, description="the ResourceQuota's services count")
    persistent_volume_claims: PositiveInt32 = Field(
        10, description="the ResourceQuota's persistentvolumeclaims count"
    )
    config_maps: PositiveInt32 = Field(40, description="the ResourceQuota's configmaps count")
    secrets: PositiveInt32 = Field(40, description="the ResourceQuota's secrets count")
    # An edge Service of these types is declared per stack; none by default.
    load_balancers: Int32 = Field(
        0,
        description=(
            "the ResourceQuota's services.loadbalancers: 0 forbids LoadBalancer Services in the namespace"
        ),
    )
    node_ports: Int32 = Field(
        0,
        description=("the ResourceQuota's services.nodeports: 0 forbids NodePort Services in the namespace"),
    )


class ContainerLimitsSpec(StrictModel):
    default_request_cpu: CpuQuantity = Field(
        "100m", description=("the LimitRange's defaultRequest.cpu for a container that states no CPU request")
    )
    default_request_memory: MemoryQuantity = Field(
        "128Mi",
        description=("the LimitRange's defaultRequest.memory for a container that states no memory request"),
    )
    default_limit_cpu: CpuQuantity = Field(
        "500m", description="the LimitRange's default.cpu for a container that states no CPU limit"
    )
    default_limit_memory: MemoryQuantity = Field(
        "512Mi", description=("the LimitRange's default.memory for a container that states no memory limit")
    )
    max_cpu: CpuQuantity = Field(
        "8",
        description=("the LimitRange's max.cpu: the API server refuses a container with a higher CPU limit"),
    )
    max_memory: MemoryQuantity = Field(
        "32Gi",
        description=(
            "the LimitRange's max.memory: the API server refuses a container with a higher memory limit"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> ContainerLimitsSpec:
        if cpu_millicores(self.default_request_cpu) > cpu_millicores(self.default_limit_cpu):
            raise ValueError("defaultRequestCpu exceeds defaultLimitCpu")
        if memory_bytes(self.default_request_memory) > memory_bytes(self.default_limit_memory):
            raise ValueError("defaultRequestMemory exceeds defaultLimitMemory")
        if cpu_millicores(self.default_limit_cpu) > cpu_millicores(self.max_cpu):
            raise ValueError("defaultLimitCpu exceeds maxCpu")
        if memory_bytes(self.default_limit_memory) > memory_bytes(self.max_memory):
            raise ValueError("defaultLimitMemory exceeds maxMemory")
        return self


class NamespaceSpec(StrictModel):
    name: DnsLabel = Field(
        "shiksha-setu",
        description=(
            "the platform namespace every workload, Service, NetworkPolicy and edge object is created in"
        ),
    )
    pod_security: Literal["restricted", "baseline"] = Field(
        "restricted",
        description=(
            "the Pod Security Admission level the namespace enforces, audits and "
            "warns at (pod-security.kubernetes.io labels)"
        ),
    )
    quota: QuotaSpec = Field(QuotaSpec(), description="the namespace's ResourceQuota")
    limit_range: ContainerLimitsSpec = Field(
        ContainerLimitsSpec(), description="the namespace's LimitRange for containers"
    )
