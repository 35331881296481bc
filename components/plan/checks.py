"""The gate's checks that need the plan: the names `network.rules` give and the namespace
quota, against every workload the plan runs (the enabled ones and the monitoring ones,
as components/plan/monitoring.py resolves them: `EstatePlan.network.workloads`), and the
docker host's volume names, against the platform workloads as planned (their secret files
get volumes too: components/plan/volumes.py).

The loader (components/config/loader.py) runs them after the config's own checks
(components/config/references.py), on the same field-valid estate and before anything is
registered: the same `Problem`s, each naming its `shiksha-setu:<key>`.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.config.errors import Problem, got, unknown_name, unknown_port
from components.config.estate import EstateConfig
from components.config.types import cpu_millicores, memory_bytes
from components.config.workloads import WorkloadSpec
from components.plan.estate import platform_workloads
from components.plan.network import NetworkIntent
from components.plan.volumes import volume_problems


class _Checks:
    def __init__(self, config: EstateConfig, running: Mapping[str, WorkloadSpec]):
        self.config = config
        self.running = running
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    # --- network -------------------------------------------------------------------------

    def network(self) -> None:
        running = self.running
        for name, rule in self.config.network.rules.items():
            at = f"network.rules.{name}"
            if rule.from_ not in running:
                self.add(
                    got(
                        f"{at}.from",
                        rule.from_,
                        unknown_name("enabled workload", rule.from_, running),
                        rule.from_,
                    )
                )
            target = rule.to.workload
            if target is not None:
                if target not in running:
                    self.add(
                        got(
                            f"{at}.to.workload",
                            target,
                            unknown_name("enabled workload", target, running),
                            target,
                        )
                    )
                    continue
                exposed = running[target].ports
                for port in rule.ports:
                    if port not in exposed:
                        self.add(
                            got(
                                f"{at}.ports",
                                port,
                                unknown_port(target, port, exposed, verb="exposes"),
                            )
                        )
            else:
                for port in rule.ports:
                    if not isinstance(port, int):
                        self.add(got(f"{at}.ports", port, "a target outside the estate needs port numbers"))

    # --- namespace budget ------------------------------------------------------------------

    def quota(self) -> None:
        """The namespace's quota and limit range hold the estate at full scale: every
        autoscaled workload at maxReplicas, plus each rollout's surge pod."""
        namespace = self.config.namespace
        quota, limits = namespace.quota, namespace.limit_range
        running = self.running
        pods = {name: spec.max_pods for name, spec in running.items()}
        totals = {"requestsCpu": 0, "limitsCpu": 0, "requestsMemory": 0, "limitsMemory": 0, "gpu": 0}
        for name, spec in running.items():
            count = pods[name]
            res = spec.resources
            totals["requestsCpu"] += count * cpu_millicores(res.requests.cpu)
            totals["limitsCpu"] += count * cpu_millicores(res.limits.cpu)
            totals["requestsMemory"] += count * memory_bytes(res.requests.memory)
            totals["limitsMemory"] += count * memory_bytes(res.limits.memory)
            totals["gpu"] += count * (spec.gpu.count if spec.gpu is not None else 0)
            if cpu_millicores(res.limits.cpu) > cpu_millicores(limits.max_cpu):
                self.add(
                    got(
                        f"workloads.{name}.resources.limits.cpu",
                        res.limits.cpu,
                        f"exceeds namespace.limitRange.maxCpu {limits.max_cpu}",
                    )
                )
            if memory_bytes(res.limits.memory) > memory_bytes(limits.max_memory):
                self.add(
                    got(
                        f"workloads.{name}.resources.limits.memory",
                        res.limits.memory,
                        f"exceeds namespace.limitRange.maxMemory {limits.max_memory}",
                    )
                )
        budget = {
            "requestsCpu": cpu_millicores(quota.requests_cpu),
            "limitsCpu": cpu_millicores(quota.limits_cpu),
            "requestsMemory": memory_bytes(quota.requests_memory),
            "limitsMemory": memory_bytes(quota.limits_memory),
            "requestsGpu": quota.requests_gpu,
        }
        totals["requestsGpu"] = totals.pop("gpu")
        for field, total in totals.items():
            if total > budget[field]:
                shown = _amount(field, total)
                self.add(
                    Problem(
                        f"namespace.quota.{field}",
                        f"{getattr(quota, _snake(field))} is below what the estate needs at full scale "
                        f"({shown}: each workload at its maximum replicas plus its rollout surge)",
                    )
                )
        if sum(pods.values()) > quota.pods:
            self.add(
                Problem(
                    "namespace.quota.pods",
                    f"{quota.pods} is below the {sum(pods.values())} pods of the estate at full scale",
                )
            )
        services = sum(1 for spec in running.values() if spec.ports)
        if services > quota.services:
            self.add(
                Problem("namespace.quota.services", f"{quota.services} is below the {services} Services")
            )
        claims = sum(spec.replicas for spec in running.values() if spec.kind == "StatefulSet")
        if claims > quota.persistent_volume_claims:
            self.add(
                Problem(
                    "namespace.quota.persistentVolumeClaims",
                    f"{quota.persistent_volume_claims} is below the {claims} volume claims",
                )
            )


def _snake(field: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in field)


def _amount(field: str, total: int) -> str:
    if field.endswith("Cpu"):
        return f"{total}m"
    if field.endswith("Memory"):
        return f"{total / 2**30:.2f}Gi"
    return str(total)


def plan_problems(config: EstateConfig, network: NetworkIntent, aggregates: bool = True) -> list[Problem]:
    """The problems of a field-valid estate whose config-level references hold, against the
    plan's network intent (`EstatePlan.network`). `aggregates` False skips the estate-wide
    sums (the quota), for an estate patched up to look past field errors."""
    checks = _Checks(config, network.workloads)
    checks.network()
    if config.target == "kubernetes" and aggregates:
        checks.quota()
    return checks.problems


def docker_volume_problems(config: EstateConfig) -> list[Problem]:
    """Two Docker volumes of one name on the docker-host target, for an estate with no other
    problem (wiring the platform workloads needs every reference to hold)."""
    if config.target != "docker-host":
        return []
    planned = platform_workloads(config).values()
    return [got(key, value, message) for key, value, message in volume_problems(planned, config.docker_host)]
