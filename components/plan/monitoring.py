"""The monitoring workloads as the plan resolves them: Prometheus, Alertmanager, the
blackbox exporter and the exporters the alerts need, each with its spec, files and
credentials (SecretText recipes), and what Prometheus reaches (scrape targets).

No Pulumi here; MonitoringStack (Kubernetes) deploys what this module plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from components.config.estate import EstateConfig
from components.config.monitoring import EXPORTERS
from components.config.network import METRICS_PORT
from components.config.workloads import (
    ComputeResources,
    ProbeSpec,
    ProbesSpec,
    ResourcesSpec,
    StorageSpec,
    WorkloadSpec,
)
from components.datastores import registry
from components.plan.files import ConfigFiles
from components.plan.workload import PlannedWorkload
from components.render import alertmanager as am
from components.render import prometheus as prom
from components.render.alert_rules import rule_files
from components.render.blackbox import render_blackbox
from components.render.prometheus import ServiceJob
from components.values.secret_text import secret

COMPONENT = "monitoring"
BLACKBOX_CONFIG_DIR = "/etc/blackbox/config"


def _resources(req_cpu: str, req_mem: str, lim_cpu: str, lim_mem: str) -> ResourcesSpec:
    return ResourcesSpec(
        requests=ComputeResources(cpu=req_cpu, memory=req_mem),
        limits=ComputeResources(cpu=lim_cpu, memory=lim_mem),
    )


def _http_probes(port: str, ready: str, live: str, startup_failures: int = 30) -> ProbesSpec:
    return ProbesSpec(
        startup=ProbeSpec(http_path=ready, port=port, period_seconds=5, failure_threshold=startup_failures),
        readiness=ProbeSpec(http_path=ready, port=port, period_seconds=10),
        liveness=ProbeSpec(http_path=live, port=port, period_seconds=20, failure_threshold=5),
    )


def prometheus_spec(config: EstateConfig) -> WorkloadSpec:
    p = config.monitoring.prometheus
    return WorkloadSpec(
        component=COMPONENT,
        image="prometheus",
        kind="StatefulSet",
        replicas=1,
        args=[
            f"--config.file={prom.CONFIG_DIR}/prometheus.yml",
            f"--storage.tsdb.path={prom.DATA_DIR}",
            f"--storage.tsdb.retention.time={p.retention}",
            f"--storage.tsdb.retention.size={p.retention_size}",
            f"--web.listen-address=:{prom.PROMETHEUS_PORT}",
        ],
        ports={"http": prom.PROMETHEUS_PORT},
        resources=_resources("250m", "1Gi", "1", "2Gi"),
        # Replaying a large WAL after a restart takes minutes: 120 x 5 s before liveness.
        probes=_http_probes("http", "/-/ready", "/-/healthy", startup_failures=120),
        storage=StorageSpec(size=p.storage_size, mount_path=prom.DATA_DIR, storage_class=p.storage_class),
        writable_paths=["/tmp"],
        termination_grace_period_seconds=120,
        automount_token_reason=(  # noqa: S106 (a reason, not a token)
            "Kubernetes service discovery of the platform namespace's endpointslices, pods and "
            "services (read-only Role), and kubelet scrapes when node metrics are enabled"
        ),
    )


def alertmanager_spec(config: EstateConfig) -> WorkloadSpec:
    del config
    return WorkloadSpec(
        component=COMPONENT,
        image="alertmanager",
        replicas=1,
        args=[
            f"--config.file={am.CONFIG_DIR}/alertmanager.yml",
            f"--storage.path={am.DATA_DIR}",
            f"--web.listen-address=:{prom.ALERTMANAGER_PORT}",
            # One replica: no gossip peers, so no cluster port to open.
            "--cluster.listen-address=",
        ],
        ports={"http": prom.ALERTMANAGER_PORT},
        resources=_resources("50m", "64Mi", "200m", "256Mi"),
        probes=_http_probes("http", "/-/ready", "/-/healthy"),
        writable_paths=["/tmp", am.DATA_DIR],
        egress_internet=True,  # PagerDuty's Events API
    )


def blackbox_spec(config: EstateConfig) -> WorkloadSpec:
    probed = sorted(
        {
            name
            for name in config.enabled_workloads
            if any(f"//{name}:" in t.url for t in config.monitoring.blackbox.targets.values())
        }
    )
    return WorkloadSpec(
        component=COMPONENT,
        image="blackbox-exporter",
        replicas=2,
        args=[
            f"--config.file={BLACKBOX_CONFIG_DIR}/blackbox.yml",
            f"--web.listen-address=:{prom.BLACKBOX_PORT}",
        ],
        ports={"http": prom.BLACKBOX_PORT},
        connects_to=probed,
        # The public probes go out through the edge's public address, as users do.
        egress_internet=any(
            t.url.startswith("https://") for t in config.monitoring.blackbox.targets.values()
        ),
        resources=_resources("25m", "32Mi", "200m", "128Mi"),
        probes=ProbesSpec(
            readiness=ProbeSpec(http_path="/-/healthy", port="http"),
            liveness=ProbeSpec(http_path="/-/healthy", port="http", period_seconds=20),
        ),
    )


def exporter_specs(config: EstateConfig) -> dict[str, WorkloadSpec]:
    """Exporter workload name -> spec, for the exporters whose subject is deployed: the
    datastores' (from their registry) and kube-state-metrics."""
    specs = registry.exporter_specs(config, COMPONENT)
    kube_state = enabled_exporters(config).get("kube_state_metrics")
    if kube_state is not None:
        name, port_name, port = kube_state
        specs[name] = WorkloadSpec(
            component=COMPONENT,
            image=name,
            replicas=1,
            args=[
                f"--namespaces={config.namespace.name}",
                "--resources=pods,poddisruptionbudgets,resourcequotas",
                f"--port={port}",
                "--telemetry-port=8081",
            ],
            ports={port_name: port},
            resources=_resources("50m", "64Mi", "200m", "256Mi"),
            probes=ProbesSpec(
                readiness=ProbeSpec(tcp=True, port=port_name),
                liveness=ProbeSpec(tcp=True, port=port_name, period_seconds=20),
            ),
            automount_token_reason=(  # noqa: S106 (a reason, not a token)
                "kube-state-metrics lists and watches pods, poddisruptionbudgets and "
                "resourcequotas of the platform namespace (read-only Role)"
            ),
        )
    return specs


def enabled_exporters(config: EstateConfig) -> dict[str, tuple[str, str, int]]:
    """Exporter key -> (workload, port name, port), for exporters whose subject is deployed."""
    enabled = config.enabled_workloads
    return {
        key: (name, port_name, port)
        for key, (name, port_name, port, subject) in EXPORTERS.items()
        if getattr(config.monitoring.exporters, key) and (subject is None or subject in enabled)
    }


def _metrics_port_jobs(config: EstateConfig, jobs: list[ServiceJob]) -> list[ServiceJob]:
    """A workload with a port named `metrics` is scraped without a `monitoring.jobs` entry
    (a user adding a workload need not know about that key); a job that already scrapes the
    port wins, so there is never a second job for the same target."""
    scraped = {(job.workload, job.port) for job in jobs}
    names = {job.name for job in jobs}
    added = []
    for workload, spec in config.enabled_workloads.items():
        if METRICS_PORT not in spec.ports or (workload, METRICS_PORT) in scraped:
            continue
        # The workload's name, unless a job of that name scrapes something else.
        name = workload
        while name in names:
            name = f"{name}-{METRICS_PORT}"
        names.add(name)
        added.append(
            ServiceJob(name, workload, METRICS_PORT, "/metrics", config.monitoring.exporter_interval)
        )
    return added


def scrape_jobs(config: EstateConfig) -> tuple[ServiceJob, ...]:
    """What Prometheus scrapes over Services (none when monitoring is off): the
    `monitoring.jobs`, the exporters, every port named `metrics`, and Alertmanager. Decided
    here once: `plan()` keeps them as EstatePlan.scrape_jobs, prometheus.yml is rendered from
    them and the network intent lets Prometheus reach them."""
    spec = config.monitoring
    if not spec.enabled:
        return ()
    enabled = config.enabled_workloads
    jobs = [
        ServiceJob(name, job.workload, job.port, job.path, job.interval, job.timeout)
        for name, job in spec.jobs.items()
        if job.workload in enabled
    ]
    jobs += [
        ServiceJob(workload, workload, port_name, "/metrics", spec.exporter_interval)
        for workload, port_name, _port in enabled_exporters(config).values()
    ]
    jobs += _metrics_port_jobs(config, jobs)
    jobs.append(ServiceJob(prom.ALERTMANAGER, prom.ALERTMANAGER, "http", "/metrics", spec.exporter_interval))
    return tuple(jobs)


def scrape_targets(config: EstateConfig, jobs: Sequence[ServiceJob]) -> list[tuple[str, str]]:
    """(workload, port name) pairs Prometheus connects to: its scrape jobs (`scrape_jobs`),
    the blackbox exporter it asks for probes, and Alertmanager (scraped, and where alerts are
    sent). The kubelet port of the node jobs is `kubelet_port`; it is on nodes, not workloads."""
    if not config.monitoring.enabled:
        return []
    targets = [(job.workload, job.port) for job in jobs]
    if config.monitoring.blackbox.targets:
        targets.append((prom.BLACKBOX, "http"))
    return list(dict.fromkeys(targets))


ALERTMANAGER_TARGET = (prom.ALERTMANAGER, "http")


def in_cluster_webhooks(config: EstateConfig) -> dict[str, str]:
    """Receivers whose webhook is a Service name (no dots, or a cluster-local name), by
    receiver: the network needs a rule for those, unlike public HTTPS endpoints."""
    if not config.monitoring.enabled:
        return {}
    hosts = {
        name: urlsplit(receiver.webhook.url).hostname or ""
        for name, receiver in config.monitoring.alertmanager.receivers.items()
        if receiver.webhook is not None
    }
    return {
        name: host
        for name, host in hosts.items()
        if host and ("." not in host or host.endswith((".svc", ".cluster.local")))
    }


def kubelet_port(config: EstateConfig) -> int | None:
    nodes = config.monitoring.nodes
    return nodes.kubelet_port if config.monitoring.enabled and nodes.enabled else None


def monitoring_workloads(config: EstateConfig) -> dict[str, WorkloadSpec]:
    """The workloads MonitoringStack deploys into the namespace, with their own intent
    (specs only: the config gate asks for these before anything is rendered)."""
    if not config.monitoring.enabled:
        return {}
    workloads = {prom.PROMETHEUS: prometheus_spec(config), prom.ALERTMANAGER: alertmanager_spec(config)}
    if config.monitoring.blackbox.targets:
        workloads[prom.BLACKBOX] = blackbox_spec(config)
    workloads.update(exporter_specs(config))
    return workloads


def planned_monitoring(config: EstateConfig, jobs: Sequence[ServiceJob]) -> dict[str, PlannedWorkload]:
    """Prometheus (scraping `jobs`, the plan's scrape jobs), Alertmanager, the blackbox
    exporter (when it has targets) and the exporters whose subject runs, in the order
    MonitoringStack registers them."""
    spec = config.monitoring
    if not spec.enabled:
        return {}
    images = spec.images
    planned = {
        prom.PROMETHEUS: PlannedWorkload(
            prom.PROMETHEUS,
            prometheus_spec(config),
            "monitoring",
            images.prometheus,
            (
                ConfigFiles(
                    "config", prom.CONFIG_DIR, {"prometheus.yml": prom.render_prometheus(config, jobs)}
                ),
                ConfigFiles("rules", prom.RULES_DIR, rule_files(config)),
            ),
        )
    }
    am_files = [
        ConfigFiles("config", am.CONFIG_DIR, {"alertmanager.yml": am.render_alertmanager(spec.alertmanager)}),
        ConfigFiles(
            "templates",
            am.TEMPLATES_DIR,
            {"shiksha.tmpl": am.notification_template(spec.alerts.runbook_base_url)},
        ),
    ]
    if spec.alertmanager.pagerduty_enabled:
        # A secret file: the key never enters a ConfigMap, an env var or an output.
        am_files.append(
            ConfigFiles(
                "pagerduty", am.SECRETS_DIR, {am.ROUTING_KEY_FILE: secret("pagerdutyRoutingKey")}, secret=True
            )
        )
    planned[prom.ALERTMANAGER] = PlannedWorkload(
        prom.ALERTMANAGER, alertmanager_spec(config), "monitoring", images.alertmanager, tuple(am_files)
    )
    if spec.blackbox.targets:
        planned[prom.BLACKBOX] = PlannedWorkload(
            prom.BLACKBOX,
            blackbox_spec(config),
            "monitoring",
            images.blackbox_exporter,
            (ConfigFiles("config", BLACKBOX_CONFIG_DIR, {"blackbox.yml": render_blackbox(spec.blackbox)}),),
        )
    exporter_images = {**registry.exporter_images(images), "kube-state-metrics": images.kube_state_metrics}
    for name, exporter in exporter_specs(config).items():
        planned[name] = PlannedWorkload(
            name,
            exporter,
            "exporter",
            exporter_images[name],
            # Each datastore exporter logs in as its datastore's read-only monitoring role.
            secret_env=registry.exporter_secret_env(name),
        )
    return planned
