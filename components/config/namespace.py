"""The platform namespace and its guardrails: Pod Security Admission, quota, limit range."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

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
    requests_cpu: CpuQuantity = "20"
    requests_memory: MemoryQuantity = "40Gi"
    limits_cpu: CpuQuantity = "32"
    limits_memory: MemoryQuantity = "64Gi"
    requests_gpu: Int32 = 2
    pods: PositiveInt32 = 50
    services: PositiveInt32 = 20
    persistent_volume_claims: PositiveInt32 = 10
    config_maps: PositiveInt32 = 40
    secrets: PositiveInt32 = 40
    # An edge Service of these types is declared per stack; none by default.
    load_balancers: Int32 = 0
    node_ports: Int32 = 0


class ContainerLimitsSpec(StrictModel):
    default_request_cpu: CpuQuantity = "100m"
    default_request_memory: MemoryQuantity = "128Mi"
    default_limit_cpu: CpuQuantity = "500m"
    default_limit_memory: MemoryQuantity = "512Mi"
    max_cpu: CpuQuantity = "8"
    max_memory: MemoryQuantity = "32Gi"

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
    name: DnsLabel = "shiksha-setu"
    pod_security: Literal["restricted", "baseline"] = "restricted"
    quota: QuotaSpec = QuotaSpec()
    limit_range: ContainerLimitsSpec = ContainerLimitsSpec()
