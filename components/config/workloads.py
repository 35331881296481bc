"""Typed spec of one workload: what SecureDeployment turns into hardened Kubernetes objects."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, model_validator

from .base import StrictModel, fold_additions
from .errors import closest
from .types import (
    INT32_MAX,
    AbsolutePath,
    CpuQuantity,
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    EnvName,
    Int32,
    LabelKey,
    Labels,
    LabelValue,
    Line,
    MemoryQuantity,
    Port,
    PortName,
    PositiveInt32,
    RequestTarget,
    Text,
    cpu_millicores,
    is_dns_label,
    memory_bytes,
)

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

    # Sent as it is by Kubernetes' httpGet and, as an argument, by the docker-host checks.
    http_path: RequestTarget | None = Field(
        examples=["/health"],
        default=None,
        description="an HTTP GET of this path on `port`; success is a 2xx or 3xx answer",
    )
    port: PortName | None = Field(
        examples=["http"], default=None, description="name of one of the workload's ports"
    )
    tcp: bool = Field(default=False, description="true: a TCP connect to `port`")
    exec: list[Text] | None = Field(
        examples=[["sh", "-c", "test -f /tmp/ready"]],
        description="a command run in the container; success is exit status 0",
        default=None,
        min_length=1,
    )
    initial_delay_seconds: Int32 = Field(default=0, description="seconds after start before the first probe")
    period_seconds: PositiveInt32 = Field(default=10, description="seconds between probes")
    timeout_seconds: PositiveInt32 = Field(default=5, description="seconds a probe may take")
    failure_threshold: PositiveInt32 = Field(
        default=3,
        description=(
            "failures in a row before the probe fails (restart for liveness, out of the Service for "
            "readiness)"
        ),
    )

    @model_validator(mode="after")
    def _one_handler(self) -> ProbeSpec:
        handlers = [self.http_path is not None, self.tcp, self.exec is not None]
        if sum(handlers) != 1:
            raise ValueError("a probe needs exactly one of httpPath, tcp: true or exec")
        if (self.http_path is not None or self.tcp) and not self.port:
            raise ValueError("httpPath and tcp probes need `port`, the name of a workload port")
        return self


class ProbesSpec(StrictModel):
    startup: ProbeSpec | None = None
    readiness: ProbeSpec | None = None
    liveness: ProbeSpec | None = None


class AutoscalingSpec(StrictModel):
    min_replicas: PositiveInt32
    max_replicas: PositiveInt32
    target_cpu_utilization: Annotated[StrictInt, Field(ge=1, le=100)] = 70

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSpec:
        if self.max_replicas < self.min_replicas:
            raise ValueError("maxReplicas must be >= minReplicas")
        return self


class DisruptionBudgetSpec(StrictModel):
    """One of the two, as Kubernetes allows; a budget that allows no disruption is refused."""

    max_unavailable: PositiveInt32 | None = 1
    min_available: PositiveInt32 | None = None

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

    run_as_user: PositiveInt32 = 1000
    run_as_group: PositiveInt32 = 1000
    fs_group: PositiveInt32 = 1000
    run_as_non_root: bool = True
    read_only_root_filesystem: bool = True
    allow_privilege_escalation: bool = False
    drop_all_capabilities: bool = True
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] = "RuntimeDefault"
    # Shown as a pod annotation: one line.
    opt_out_reason: Line | None = None

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
    storage_class: DnsSubdomain | None = None


class Toleration(StrictModel):
    key: LabelKey
    operator: Literal["Exists", "Equal"] = "Exists"
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class GpuSpec(StrictModel):
    count: PositiveInt32 = 1
    # An extended resource name, which has the syntax of a label key.
    resource: LabelKey = "nvidia.com/gpu"
    node_selector: Labels = Field(default_factory=lambda: {"nvidia.com/gpu.present": "true"})
    tolerations: list[Toleration] = Field(
        default_factory=lambda: [Toleration(key="nvidia.com/gpu", operator="Exists")]
    )


def writable_volume_name(path: str) -> str:
    """The pod volume behind a writable path (an emptyDir)."""
    return "writable" + path.replace("/", "-").replace(".", "-").replace("_", "-")


class WorkloadSpec(StrictModel):
    component: DnsLabel = Field(examples=["notifier"], description="app.kubernetes.io/component label")
    image: DnsLabel = Field(examples=["backend"], description="key of an entry under `images`")
    kind: Literal["Deployment", "StatefulSet"] = Field(
        default="Deployment",
        description="Deployment, or StatefulSet for a workload with its own volume per pod (needs `storage`)",
    )
    enabled: bool = Field(
        default=True,
        description="false keeps the workload out of the estate: no objects, and nothing may reference it",
    )
    replicas: PositiveInt32 = Field(
        examples=[3],
        default=2,
        description="pods when not autoscaled (the Deployment's or StatefulSet's replicas)",
    )
    command: list[Text] | None = Field(
        examples=[["python"]], default=None, description="the container's entrypoint; null keeps the image's"
    )
    args: list[Text] | None = Field(
        examples=[["-m", "app.notifier"]],
        default=None,
        description="the container's arguments; null keeps the image's",
    )
    ports: dict[PortName, Port] = Field(
        examples=[{"http": 8080, "metrics": 9102}],
        description=(
            "port name -> number: the container ports and the Service; a port named `metrics` is "
            "scraped by Prometheus and never opened to callers"
        ),
        default_factory=dict,
    )
    env: dict[EnvName, Text] = Field(
        examples=[{"LOG_FORMAT": "json"}],
        description=(
            "plain environment variables (names that look like secrets are refused: secrets come from "
            "`pulumi config set --secret`)"
        ),
        default_factory=dict,
    )
    connects_to: list[Dns1035Label] = Field(
        examples=[["api"]],
        default_factory=list,
        description=(
            "workloads this one calls; drives credentials and network policies. Restating a "
            "default workload's list without one of its entries is refused: use connectsToAdd "
            "and connectsToRemove"
        ),
    )
    connects_to_add: list[Dns1035Label] = Field(
        examples=[["notifier"]],
        default_factory=list,
        description="workloads added to connectsTo (its defaults kept): the way to add a connection",
    )
    connects_to_remove: list[Dns1035Label] = Field(
        examples=[["vllm"]],
        default_factory=list,
        description="entries removed from connectsTo: the one way to cut a default connection",
    )
    egress_internet: bool = Field(
        default=False,
        description=(
            "lets the pods call public addresses on network.internet's ports (a NetworkPolicy egress rule)"
        ),
    )
    resources: ResourcesSpec = Field(
        description=(
            "CPU and memory requests and limits of the container; the namespace quota must hold the "
            "estate at full scale"
        )
    )
    probes: ProbesSpec = Field(
        default=ProbesSpec(),
        description=(
            "startup, readiness and liveness probes (Kubernetes probes; the docker-host health check)"
        ),
    )
    autoscaling: AutoscalingSpec | None = Field(
        default=None, description="a HorizontalPodAutoscaler on CPU; null: a fixed replica count"
    )
    disruption_budget: DisruptionBudgetSpec = Field(
        default=DisruptionBudgetSpec(),
        description="the PodDisruptionBudget (made when more than one pod can run)",
    )
    security: SecuritySpec = Field(
        default=SecuritySpec(),
        description="the pod's and container's security context; loosening a field needs optOutReason",
    )
    writable_paths: list[AbsolutePath] = Field(
        examples=[["/tmp", "/var/cache/app"]],
        description="emptyDir volumes mounted where the read-only root filesystem must be written",
        default_factory=lambda: ["/tmp"],
    )
    storage: StorageSpec | None = Field(
        default=None, description="the volume claim template of a StatefulSet"
    )
    gpu: GpuSpec | None = Field(
        default=None,
        description=(
            "GPUs requested as an extended resource, with the node selector and tolerations to land on "
            "GPU nodes"
        ),
    )
    node_selector: Labels = Field(description="node labels the pods must run on", default_factory=dict)
    tolerations: list[Toleration] = Field(description="taints the pods tolerate", default_factory=list)
    singleton: bool = Field(
        default=False,
        description="never more than one pod, not even during a rollout (Recreate strategy)",
    )
    termination_grace_period_seconds: Int32 = Field(
        default=30, description="seconds a pod gets to finish after SIGTERM"
    )
    aliases: list[Dns1035Label] = Field(
        default_factory=list,
        description="former names of this workload, so a rename in code moves state instead of replacing",
    )
    automount_token_reason: Line | None = Field(
        default=None,
        description="why this workload needs its ServiceAccount token (off unless declared)",
    )

    @model_validator(mode="before")
    @classmethod
    def _fold_connections(cls, data: Any) -> Any:
        return fold_additions(cls, data, "connects_to")

    @model_validator(mode="after")
    def _consistent(self) -> WorkloadSpec:
        for name in self.env:
            if _SECRET_LIKE.search(name):
                raise ValueError(
                    f"env {name} looks like a secret; secrets come only from "
                    "`pulumi config set --secret` and reach pods through Kubernetes Secrets"
                )
        numbers = list(self.ports.values())
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"ports {self.ports}: two names for one port number (a Service refuses that)")
        volumes = [writable_volume_name(path) for path in self.writable_paths]
        for path, volume in zip(self.writable_paths, volumes, strict=True):
            if not is_dns_label(volume):
                raise ValueError(
                    f"writablePaths: got {path!r}: its volume name {volume!r} is not a DNS-1123 label "
                    "(lower-case letters, digits, '/', '-', '.', '_'; at most 55 characters)"
                )
        if len(set(volumes)) != len(volumes):
            raise ValueError(f"writablePaths {self.writable_paths}: two paths give one volume name")
        if self.autoscaling is not None and self.autoscaling.max_replicas + 1 > INT32_MAX:
            raise ValueError("autoscaling.maxReplicas leaves no room for a rollout's surge pod")
        for probe_name in ("startup", "readiness", "liveness"):
            probe = getattr(self.probes, probe_name)
            if probe is not None and probe.port is not None and probe.port not in self.ports:
                guess = closest(probe.port, self.ports)
                hint = f" (did you mean {guess!r}?)" if guess is not None else ""
                raise ValueError(
                    f"probes.{probe_name}.port {probe.port!r} is not one of ports {sorted(self.ports)}{hint}"
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
