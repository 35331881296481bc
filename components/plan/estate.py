"""plan(config) -> EstatePlan: the whole estate resolved, before any target builds it.

Pure: no Pulumi, no secret values. Both targets (components/targets/) build from the same
plan, so what runs, who gets which credential, what the edge routes and what Prometheus
scrapes are decided once, here, and unit-tested without a Pulumi runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config.estate import EstateConfig
from components.plan.monitoring import planned_monitoring, scrape_jobs
from components.plan.network import NetworkIntent, Route, network_intent
from components.plan.wiring import wire
from components.plan.workload import PlannedWorkload
from components.render.prometheus import ServiceJob


@dataclass(frozen=True)
class EstatePlan:
    # Platform workloads first (config order), then monitoring, then exporters.
    workloads: dict[str, PlannedWorkload]
    # Every edge route, whichever target serves it (the network's routes only when the
    # Kubernetes ingress is on: see `network`).
    routes: tuple[Route, ...]
    # What Prometheus scrapes (empty when monitoring is off).
    scrape_jobs: tuple[ServiceJob, ...]
    network: NetworkIntent
    # The namespaces whose workloads consume Secrets: the only ones a secret store serves.
    secret_namespaces: tuple[str, ...] = ()
    # The namespaces whose container logs the collector ships (empty when logging is off).
    logged_namespaces: tuple[str, ...] = ()

    def of_role(self, *roles: str) -> dict[str, PlannedWorkload]:
        return {name: w for name, w in self.workloads.items() if w.role in roles}

    @property
    def platform(self) -> dict[str, PlannedWorkload]:
        return self.of_role("platform")

    @property
    def monitoring(self) -> dict[str, PlannedWorkload]:
        return self.of_role("monitoring", "exporter")


def platform_workloads(config: EstateConfig) -> dict[str, PlannedWorkload]:
    """The enabled workloads of `workloads`, each wired: credentials of what it connects
    to, its datastore files and arguments (components/plan/wiring.py)."""
    planned = {}
    for name in config.enabled_workloads:
        wiring = wire(name, config)
        planned[name] = PlannedWorkload(
            name, wiring.spec, "platform", wiring.spec.image, tuple(wiring.files), dict(wiring.secret_env)
        )
    return planned


def plan(config: EstateConfig) -> EstatePlan:
    """The estate of a config the gate passed (components/config/loader.py, which also runs
    the checks only the plan shows: components/plan/checks.py)."""
    jobs = scrape_jobs(config)
    return EstatePlan(
        workloads={**platform_workloads(config), **planned_monitoring(config, jobs)},
        routes=tuple(Route(r.backend, r.port) for r in config.edge.route_list),
        scrape_jobs=jobs,
        network=network_intent(config, jobs),
        secret_namespaces=(
            config.namespace.name,
            *([config.logging.namespace] if config.logging.enabled else []),
        ),
        logged_namespaces=(tuple(config.logging.namespaces) or (config.namespace.name,))
        if config.logging.enabled
        else (),
    )
