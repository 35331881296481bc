"""Typed spec of one workload: what SecureDeployment turns into hardened Kubernetes objects."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, ValidationInfo, field_validator, model_validator

from .base import StrictModel, added_to, fold_additions, taken_from
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
    Int64,
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
    cpu: CpuQuantity = Field(
        description=(
            "CPU in the container's resources (Kubernetes); on docker-host the "
            "limit sets the container's CPUs"
        ),
        examples=["500m"],
    )
    memory: MemoryQuantity = Field(
        description=(
            "memory in the container's resources (Kubernetes); on docker-host the "
            "limit is the container's memory limit, the request its reservation"
        ),
        examples=["512Mi"],
    )


class ResourcesSpec(StrictModel):
    requests: ComputeResources = Field(
        description=(
            "the container's resources.requests: what the scheduler reserves and the namespace quota counts"
        ),
        examples=[{"cpu": "100m", "memory": "128Mi"}],
    )
    limits: ComputeResources = Field(
        description=(
            "the container's resources.limits: the CPU throttle and the memory at "
            "which the container is killed"
        ),
        examples=[{"cpu": "500m", "memory": "256Mi"}],
    )

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
    """Explicit probes, and what a workload that serves a port gets without them: readiness
    and liveness on its first port, over HTTP on `healthPath` when it has one, else TCP.
    Going without them takes `disabled: true` and an `optOutReason`, which stays visible on
    the pod template as the `shiksha.io/probes-opt-out` annotation (the policy pack still
    flags the missing probe)."""

    startup: ProbeSpec | None = Field(
        None,
        description=(
            "the container's startupProbe (liveness and readiness wait until it passes); none unless set"
        ),
        examples=[{"httpPath": "/health", "port": "http", "failureThreshold": 30}],
    )
    readiness: ProbeSpec | None = Field(
        None,
        description=(
            "the container's readinessProbe (out of the Service until it passes); "
            "default: on the first port, see healthPath"
        ),
        examples=[{"httpPath": "/health/ready", "port": "http"}],
    )
    liveness: ProbeSpec | None = Field(
        None,
        description=(
            "the container's livenessProbe (restarted when it fails); default: on "
            "the first port every 20 s, see healthPath"
        ),
        examples=[{"tcp": True, "port": "http", "periodSeconds": 20}],
    )
    health_path: RequestTarget | None = Field(
        default=None,
        description="the workload's HTTP health endpoint, which its default probes request",
        examples=["/health"],
    )
    disabled: bool = Field(
        default=False, description="no default readiness and liveness probes (needs optOutReason)"
    )
    # Shown as a pod annotation: one line.
    opt_out_reason: Line | None = Field(
        None,
        description=(
            "why the workload has no default probes, with disabled: true; written "
            "to the pod annotation shiksha.io/probes-opt-out"
        ),
        examples=["a batch job with no port to probe"],
    )

    @model_validator(mode="after")
    def _opt_out_is_explicit(self) -> ProbesSpec:
        reason = (self.opt_out_reason or "").strip()
        if self.disabled and not reason:
            raise ValueError(
                "disabled: true needs optOutReason (a written reason why this workload is not "
                "probed; the policy pack will still flag it)"
            )
        if reason and not self.disabled:
            raise ValueError("optOutReason goes with disabled: true (the default probes are on)")
        if self.disabled and self.readiness is not None and self.liveness is not None:
            raise ValueError("disabled: true with both readiness and liveness set disables nothing")
        if self.disabled and self.health_path is not None:
            raise ValueError(
                "healthPath is what the default probes request, and disabled: true turns them off"
            )
        return self

    def effective(self, ports: dict[str, int]) -> ProbesSpec:
        """These probes with the defaults filled in for a workload serving `ports`."""
        if self.disabled or not ports or (self.readiness is not None and self.liveness is not None):
            return self
        port = next(iter(ports))
        path, tcp = self.health_path, self.health_path is None
        return self.model_copy(
            update={
                "readiness": self.readiness or ProbeSpec(http_path=path, tcp=tcp, port=port),
                "liveness": self.liveness or ProbeSpec(http_path=path, tcp=tcp, port=port, period_seconds=20),
            }
        )


class AutoscalingSpec(StrictModel):
    min_replicas: PositiveInt32 = Field(
        description=(
            "the HorizontalPodAutoscaler's minReplicas (the Deployment's replicas is then left to it)"
        ),
        examples=[2],
    )
    max_replicas: PositiveInt32 = Field(
        description=(
            "the HorizontalPodAutoscaler's maxReplicas; the namespace quota check "
            "counts the workload at this size"
        ),
        examples=[6],
    )
    target_cpu_utilization: Annotated[StrictInt, Field(ge=1, le=100)] = Field(
        70,
        description=(
            "the HorizontalPodAutoscaler's average CPU utilization target, percent of the CPU request"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSpec:
        if self.max_replicas < self.min_replicas:
            raise ValueError("maxReplicas must be >= minReplicas")
        return self


class DisruptionBudgetSpec(StrictModel):
    """One of the two, as Kubernetes allows; a budget that allows no disruption is refused."""

    max_unavailable: PositiveInt32 | None = Field(
        1,
        description=(
            "the PodDisruptionBudget's maxUnavailable: pods a voluntary eviction "
            "(node drain) may take at once"
        ),
    )
    min_available: PositiveInt32 | None = Field(
        None,
        description=(
            "the PodDisruptionBudget's minAvailable, instead of maxUnavailable: "
            "pods an eviction must leave running"
        ),
        examples=[1],
    )

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

    run_as_user: PositiveInt32 = Field(
        1000,
        description=(
            "the pod's and container's securityContext.runAsUser, and the docker-host container's user"
        ),
    )
    run_as_group: PositiveInt32 = Field(
        1000,
        description=(
            "the securityContext.runAsGroup, the docker-host container's group and "
            "the group owning its written config files"
        ),
    )
    fs_group: PositiveInt32 = Field(
        1000,
        description=(
            "the pod's securityContext.fsGroup: the group that owns mounted volumes"
            " (the data volume included)"
        ),
    )
    run_as_non_root: bool = Field(
        True,
        description=(
            "the securityContext.runAsNonRoot: the kubelet refuses to start a "
            "container running as root; false needs optOutReason"
        ),
    )
    read_only_root_filesystem: bool = Field(
        True,
        description=(
            "the container's readOnlyRootFilesystem (writes go only to "
            "writablePaths and storage); false needs optOutReason"
        ),
    )
    allow_privilege_escalation: bool = Field(
        False,
        description=(
            "the container's allowPrivilegeEscalation (setuid binaries gain "
            "privileges); true needs optOutReason"
        ),
    )
    drop_all_capabilities: bool = Field(
        True,
        description=(
            "the container drops every Linux capability (capabilities.drop: [ALL]); false needs optOutReason"
        ),
    )
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] = Field(
        "RuntimeDefault",
        description=("the pod's and container's seccompProfile.type; Unconfined needs optOutReason"),
    )
    # Shown as a pod annotation: one line.
    opt_out_reason: Line | None = Field(
        None,
        description=(
            "why a field above is loosened; written to the pod annotation "
            "shiksha.io/security-opt-out (the policy pack still flags it)"
        ),
        examples=["the vendor image writes to /etc at start"],
    )

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
    size: MemoryQuantity = Field(
        description=(
            "the PersistentVolumeClaim's storage request (volumeClaimTemplates of "
            "the StatefulSet; on docker-host a named volume)"
        ),
        examples=["10Gi"],
    )
    mount_path: AbsolutePath = Field(
        description="where the persistent data volume is mounted in the container",
        examples=["/var/lib/notifier"],
    )
    storage_class: DnsSubdomain | None = Field(
        None,
        description=("the claim's storageClassName; unset takes the cluster's default StorageClass"),
        examples=["fast-ssd"],
    )


class Toleration(StrictModel):
    """The API server's rules for a toleration (ValidateTolerations in k8s.io/kubernetes
    pkg/apis/core/validation), each checked here so that a toleration it would refuse never
    leaves the gate; tests/apiserver/test_tolerations.py holds both to the same cases. Two
    are stricter on purpose: the key is required (an empty key with `Exists` tolerates every
    taint, the control plane's and unreachable nodes' included) and tolerationSeconds is
    not negative (the server treats it as 0, evict at once)."""

    key: LabelKey = Field(
        description="the taint key the pod tolerates (pod spec tolerations[].key)", examples=["dedicated"]
    )
    operator: Literal["Exists", "Equal"] = Field(
        "Exists", description="Exists tolerates any value of the key; Equal only `value`"
    )
    # Fields are validated in this order: the checks below read the ones declared before.
    value: LabelValue | None = Field(
        None, description="the taint value tolerated, with operator Equal", examples=["ml"]
    )
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        "NoSchedule", description="the taint effect tolerated: NoSchedule, PreferNoSchedule or NoExecute"
    )
    toleration_seconds: Int64 | None = Field(
        default=None,
        description="how long the pod stays bound after a NoExecute taint appears",
        examples=[300],
    )

    @field_validator("key", mode="before")
    @classmethod
    def _key_named(cls, key: object) -> object:
        if key == "":
            raise ValueError(
                "expected the taint's key: an empty key with operator Exists tolerates every taint "
                "(the control plane's and unreachable nodes' too), which no workload of the estate may"
            )
        return key

    @field_validator("value")
    @classmethod
    def _value_only_with_equal(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("operator") == "Exists":
            raise ValueError(
                "operator Exists matches every value of the key, so the API server refuses a value "
                "beside it: remove `value`, or set operator: Equal"
            )
        return value

    @field_validator("toleration_seconds")
    @classmethod
    def _seconds_only_with_no_execute(cls, seconds: int | None, info: ValidationInfo) -> int | None:
        effect = info.data.get("effect")
        if seconds is not None and effect is not None and effect != "NoExecute":
            raise ValueError(
                f"tolerationSeconds bounds how long a pod survives a NoExecute taint; with effect "
                f"{effect} the API server refuses it: set effect: NoExecute, or remove tolerationSeconds"
            )
        return seconds


class GpuSpec(StrictModel):
    count: PositiveInt32 = Field(
        1,
        description=(
            "GPUs requested and limited for the container (resources under "
            "`resource`); on docker-host the container gets all GPUs"
        ),
    )
    # An extended resource name, which has the syntax of a label key.
    resource: LabelKey = Field(
        "nvidia.com/gpu",
        description=("the extended resource name the GPUs are requested as in the container's resources"),
    )
    node_selector: Labels = Field(
        default_factory=lambda: {"nvidia.com/gpu.present": "true"},
        description="node labels added to the pod's nodeSelector so it lands on a GPU node",
    )
    tolerations: list[Toleration] = Field(
        default_factory=lambda: [Toleration(key="nvidia.com/gpu", operator="Exists")],
        description="tolerations added to the pod so it may run on tainted GPU nodes",
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
    connects_to_add: list[Dns1035Label] = added_to("connectsTo", ["notifier"])
    connects_to_remove: list[Dns1035Label] = taken_from(
        "connectsTo", ["vllm"], "the one way to cut a default connection"
    )
    celery_client: bool = Field(
        default=False,
        description=(
            "a Celery client (api, worker, beat): reaching the broker it shares the broker's "
            "application user and gets the Celery variables; any other workload gets an ACL user "
            "of its own, confined to its own keys (docs/datastores.md)"
        ),
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
        ),
        examples=[
            {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
        ],
    )
    probes: ProbesSpec = Field(
        default=ProbesSpec(),
        description=(
            "startup, readiness and liveness probes (Kubernetes probes; the docker-host health check)"
        ),
    )
    autoscaling: AutoscalingSpec | None = Field(
        default=None,
        description="a HorizontalPodAutoscaler on CPU; null: a fixed replica count",
        examples=[{"minReplicas": 2, "maxReplicas": 6}],
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
        description=(
            "emptyDir volumes mounted where the read-only root filesystem must be written; extend "
            "with writablePathsAdd (restating a default workload's list without one is refused)"
        ),
        default_factory=lambda: ["/tmp"],
    )
    writable_paths_add: list[AbsolutePath] = added_to("writablePaths", ["/var/cache/app"])
    writable_paths_remove: list[AbsolutePath] = taken_from("writablePaths", ["/cache"])
    storage: StorageSpec | None = Field(
        default=None,
        description="the volume claim template of a StatefulSet",
        examples=[{"size": "10Gi", "mountPath": "/var/lib/notifier"}],
    )
    gpu: GpuSpec | None = Field(
        default=None,
        description=(
            "GPUs requested as an extended resource, with the node selector and tolerations to land on "
            "GPU nodes"
        ),
        examples=[{"count": 1}],
    )
    node_selector: Labels = Field(
        description="node labels the pods must run on",
        default_factory=dict,
        examples=[{"kubernetes.io/arch": "amd64"}],
    )
    tolerations: list[Toleration] = Field(
        description="taints the pods tolerate",
        default_factory=list,
        examples=[[{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]],
    )
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
        examples=[["notifications"]],
    )
    automount_token_reason: Line | None = Field(
        default=None,
        description="why this workload needs its ServiceAccount token (off unless declared)",
        examples=["watches ConfigMaps through the API server"],
    )

    @model_validator(mode="before")
    @classmethod
    def _fold_connections(cls, data: Any) -> Any:
        return fold_additions(cls, fold_additions(cls, data, "connects_to"), "writable_paths")

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
    def effective_probes(self) -> ProbesSpec:
        """What runs: the declared probes, and the defaults for a workload serving a port."""
        return self.probes.effective(self.ports)

    @property
    def pdb_wanted(self) -> bool:
        return self.max_replicas > 1

    @property
    def max_replicas(self) -> int:
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas

    @property
    def rollout_surge(self) -> int:
        """Extra pods during a rollout (components/kube/workload.py's strategies)."""
        if self.kind == "StatefulSet" or self.singleton:
            return 0
        return 0 if self.gpu is not None and self.max_replicas == 1 else 1

    @property
    def max_pods(self) -> int:
        """Pods at full scale: every replica autoscaling allows, plus a rollout's surge pod."""
        return self.max_replicas + self.rollout_surge
