"""Typed spec of one workload: what SecureDeployment turns into hardened Kubernetes objects."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from .base import (
    AbsolutePath,
    CpuQuantity,
    DnsLabel,
    MemoryQuantity,
    StrictModel,
    cpu_millicores,
    memory_bytes,
)
from .edge import RequestTarget

_SECRET_LIKE = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)


class ComputeResources(StrictModel):
    cpu: CpuQuantity
    memory: MemoryQuantity


class ResourcesSpec(StrictModel):
    requests: ComputeResources
    limits: ComputeResources

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ResourcesSpec:
        if cpu_millicores(self.requests.cpu) > cpu_millicores(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise ValueError(
                f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}"
            )
        return self


class ProbeSpec(StrictModel):
    """Exactly one of httpPath (on `port`), tcp (on `port`) or exec."""

    http_path: RequestTarget | None = None
    port: str | None = Field(default=None, description="name of one of the workload's ports")
    tcp: bool = False
    exec: list[str] | None = None
    initial_delay_seconds: int = Field(default=0, ge=0)
    period_seconds: PositiveInt = 10
    timeout_seconds: PositiveInt = 5
    failure_threshold: PositiveInt = 3

    @model_validator(mode="after")
    def _one_handler(self) -> ProbeSpec:
        handlers = [self.http_path is not None, self.tcp, self.exec is not None]
        if sum(handlers) != 1:
            raise ValueError("a probe needs exactly one of httpPath, tcp: true or exec")
        if (self.http_path is not None or self.tcp) and not self.port:
            raise ValueError("httpPath and tcp probes need `port`, the name of a workload port")
        if self.http_path is not None and not self.http_path.startswith("/"):
            raise ValueError("httpPath must start with '/'")
        return self


class ProbesSpec(StrictModel):
    startup: ProbeSpec | None = None
    readiness: ProbeSpec | None = None
    liveness: ProbeSpec | None = None


class AutoscalingSpec(StrictModel):
    min_replicas: PositiveInt
    max_replicas: PositiveInt
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSpec:
        if self.max_replicas < self.min_replicas:
            raise ValueError("maxReplicas must be >= minReplicas")
        return self


class DisruptionBudgetSpec(StrictModel):
    """One of the two, as Kubernetes allows; a budget that allows no disruption is refused."""

    max_unavailable: PositiveInt | None = 1
    min_available: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_of(self) -> DisruptionBudgetSpec:
        if (self.max_unavailable is None) == (self.min_available is None):
            raise ValueError("set exactly one of maxUnavailable or minAvailable")
        return self


_HARDENED = {
    "run_as_non_root": True,
    "read_only_root_filesystem": True,
    "allow_privilege_escalation": False,
    "drop_all_capabilities": True,
    "seccomp_profile": "RuntimeDefault",
}


class SecuritySpec(StrictModel):
    """Hardened by default. Loosening any field needs `optOutReason`, which stays visible
    on the pod template as the `shiksha.io/security-opt-out` annotation."""

    run_as_user: int = Field(default=1000, ge=1)
    run_as_group: int = Field(default=1000, ge=1)
    fs_group: int = Field(default=1000, ge=1)
    run_as_non_root: bool = True
    read_only_root_filesystem: bool = True
    allow_privilege_escalation: bool = False
    drop_all_capabilities: bool = True
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] = "RuntimeDefault"
    opt_out_reason: str | None = None

    def loosened_fields(self) -> list[str]:
        return [
            SecuritySpec.model_fields[field].alias or field
            for field, hardened in _HARDENED.items()
            if getattr(self, field) != hardened
        ]

    @model_validator(mode="after")
    def _opt_out_is_explicit(self) -> SecuritySpec:
        if self.loosened_fields() and not (self.opt_out_reason or "").strip():
            raise ValueError(
                f"loosening {', '.join(self.loosened_fields())} needs optOutReason "
                "(a written reason; the policy pack will still flag it)"
            )
        return self


class StorageSpec(StrictModel):
    size: MemoryQuantity
    mount_path: AbsolutePath
    storage_class: str | None = None


class Toleration(StrictModel):
    key: str
    operator: Literal["Exists", "Equal"] = "Exists"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class GpuSpec(StrictModel):
    count: PositiveInt = 1
    resource: str = "nvidia.com/gpu"
    node_selector: dict[str, str] = Field(default_factory=lambda: {"nvidia.com/gpu.present": "true"})
    tolerations: list[Toleration] = Field(
        default_factory=lambda: [Toleration(key="nvidia.com/gpu", operator="Exists")]
    )


class WorkloadSpec(StrictModel):
    component: DnsLabel = Field(description="app.kubernetes.io/component label")
    image: str = Field(description="key of an entry under `images`")
    kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    enabled: bool = True
    replicas: PositiveInt = 2
    command: list[str] | None = None
    args: list[str] | None = None
    ports: dict[DnsLabel, int] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    connects_to: list[DnsLabel] = Field(
        default_factory=list,
        description="workloads this one calls; drives credentials and network policies",
    )
    egress_internet: bool = False
    resources: ResourcesSpec
    probes: ProbesSpec = ProbesSpec()
    autoscaling: AutoscalingSpec | None = None
    disruption_budget: DisruptionBudgetSpec = DisruptionBudgetSpec()
    security: SecuritySpec = SecuritySpec()
    writable_paths: list[AbsolutePath] = Field(default_factory=lambda: ["/tmp"])
    storage: StorageSpec | None = None
    gpu: GpuSpec | None = None
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[Toleration] = Field(default_factory=list)
    singleton: bool = Field(
        default=False,
        description="never more than one pod, not even during a rollout (Recreate strategy)",
    )
    termination_grace_period_seconds: int = Field(default=30, ge=0)
    aliases: list[DnsLabel] = Field(
        default_factory=list,
        description="former names of this workload, so a rename in code moves state instead of replacing",
    )
    automount_token_reason: str | None = Field(
        default=None,
        description="why this workload needs its ServiceAccount token (off unless declared)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> WorkloadSpec:
        for name in self.env:
            if _SECRET_LIKE.search(name):
                raise ValueError(
                    f"env {name} looks like a secret; secrets come only from "
                    "`pulumi config set --secret` and reach pods through Kubernetes Secrets"
                )
        for port_name, port in self.ports.items():
            if not 1 <= port <= 65535:
                raise ValueError(f"ports.{port_name}: {port} is not a TCP port (1-65535)")
        for probe_name in ("startup", "readiness", "liveness"):
            probe = getattr(self.probes, probe_name)
            if probe is not None and probe.port is not None and probe.port not in self.ports:
                raise ValueError(
                    f"probes.{probe_name}.port {probe.port!r} is not one of ports {sorted(self.ports)}"
                )
        if self.singleton and self.replicas != 1:
            raise ValueError(f"a singleton workload runs exactly 1 replica, not {self.replicas}")
        if self.singleton and self.autoscaling is not None:
            raise ValueError("a singleton workload cannot autoscale")
        if self.kind == "StatefulSet" and self.storage is None:
            raise ValueError("a StatefulSet needs `storage` (its volume claim template)")
        return self

    @property
    def pdb_wanted(self) -> bool:
        return self.max_replicas > 1

    @property
    def max_replicas(self) -> int:
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas
