"""MonitoringStack: Prometheus, Alertmanager, the blackbox exporter and the exporters the
alerts need, each a SecureDeployment, with every config file rendered from typed config.

Everything runs in the platform namespace: discovery is limited to it, so Prometheus's
API access is a namespaced read-only Role. The one cluster-wide grant is for the kubelet
jobs (node list/watch to find kubelets, nodes/metrics for the kubelet to authorize the
scrape) and exists only while `monitoring.nodes.enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from components.config.datastores import PG_EXPORTER_ROLE, REDIS_MONITOR_USER
from components.config.estate import EstateConfig
from components.config.workloads import (
    ComputeResources,
    ProbeSpec,
    ProbesSpec,
    ResourcesSpec,
    StorageSpec,
    WorkloadSpec,
)
from components.kube.labels import recommended_labels
from components.kube.metadata import metadata
from components.render import alertmanager as am
from components.render import prometheus as prom
from components.render.alert_rules import rule_files
from components.render.blackbox import render_blackbox
from components.secret_objects import SecretSink
from components.secret_text import SecretText, secret
from components.secure_deployment import ConfigFiles, SecureDeployment, SecureDeploymentArgs

COMPONENT = "monitoring"
BLACKBOX_CONFIG_DIR = "/etc/blackbox/config"
READ_ONLY = ["get", "list", "watch"]


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
    """Exporter workload name -> spec, for the exporters whose subject is deployed."""
    ns = config.namespace.name
    specs: dict[str, WorkloadSpec] = {}
    for key, (name, port_name, port) in prom.enabled_exporters(config).items():
        small = _resources("25m", "32Mi", "200m", "128Mi")
        probes = ProbesSpec(
            readiness=ProbeSpec(tcp=True, port=port_name),
            liveness=ProbeSpec(tcp=True, port=port_name, period_seconds=20),
        )
        if key == "postgres":
            pg = config.workloads["postgres"]
            pg_port = next(iter(pg.ports.values()))
            database = config.postgres.database
            specs[name] = WorkloadSpec(
                component=COMPONENT,
                image=name,
                replicas=1,
                ports={port_name: port},
                env={
                    # In-cluster traffic; the server's pg_hba requires SCRAM, not TLS.
                    "DATA_SOURCE_URI": f"postgres:{pg_port}/{database}?sslmode=disable",
                    # pg_monitor and CONNECT on the application's database, nothing else.
                    "DATA_SOURCE_USER": PG_EXPORTER_ROLE,
                },
                connects_to=["postgres"],
                resources=small,
                probes=probes,
            )
        elif key == "redis":
            redis_port = next(iter(config.workloads["redis"].ports.values()))
            specs[name] = WorkloadSpec(
                component=COMPONENT,
                image=name,
                replicas=1,
                ports={port_name: port},
                # The broker's read-only ACL user (INFO, CONFIG GET, SLOWLOG; no keys).
                env={"REDIS_ADDR": f"redis://redis:{redis_port}", "REDIS_USER": REDIS_MONITOR_USER},
                connects_to=["redis"],
                resources=small,
                probes=probes,
            )
        else:
            specs[name] = WorkloadSpec(
                component=COMPONENT,
                image=name,
                replicas=1,
                args=[
                    f"--namespaces={ns}",
                    "--resources=pods,poddisruptionbudgets,resourcequotas",
                    f"--port={port}",
                    "--telemetry-port=8081",
                ],
                ports={port_name: port},
                resources=_resources("50m", "64Mi", "200m", "256Mi"),
                probes=probes,
                automount_token_reason=(  # noqa: S106 (a reason, not a token)
                    "kube-state-metrics lists and watches pods, poddisruptionbudgets and "
                    "resourcequotas of the platform namespace (read-only Role)"
                ),
            )
    return specs


def scrape_targets(config: EstateConfig) -> list[tuple[str, str]]:
    """(workload, port name) pairs Prometheus connects to: its scrape jobs, the blackbox
    exporter it asks for probes, and Alertmanager (scraped, and where alerts are sent).
    The kubelet port of the node jobs is `kubelet_port`; it is on nodes, not workloads."""
    if not config.monitoring.enabled:
        return []
    targets = [(job.workload, job.port) for job in prom.service_jobs(config)]
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


def prometheus_role_rules() -> list[dict[str, Any]]:
    # Exactly what `role: endpointslice` discovery watches: the slices, and the pods and
    # services it joins them with for their metadata.
    return [
        {"apiGroups": [""], "resources": ["pods", "services"], "verbs": READ_ONLY},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ_ONLY},
    ]


def node_cluster_role_rules() -> list[dict[str, Any]]:
    # Nodes are cluster-scoped, so finding kubelets needs a ClusterRole; the kubelet then
    # authorizes /metrics and /metrics/cadvisor as `get nodes/metrics` (not nodes/proxy).
    return [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    ]


def kube_state_metrics_role_rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [""], "resources": ["pods", "resourcequotas"], "verbs": ["list", "watch"]},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["list", "watch"]},
    ]


@dataclass(frozen=True)
class MonitoringStackArgs:
    config: EstateConfig
    secrets: SecretSink
    namespace: pulumi.Input[str]


class MonitoringStack(pulumi.ComponentResource):
    prometheus_service: pulumi.Output[str]
    alertmanager_service: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:MonitoringStack", name, None, opts)
        config = args.config
        spec = config.monitoring
        child = pulumi.ResourceOptions(parent=self)
        ns = config.namespace.name
        images = spec.images

        def deploy(
            workload: str,
            workload_spec: WorkloadSpec,
            image: str,
            files: list[ConfigFiles] | None = None,
            secret_env: dict[str, SecretText] | None = None,
        ) -> SecureDeployment:
            return SecureDeployment(
                workload,
                SecureDeploymentArgs(
                    spec=workload_spec,
                    namespace=args.namespace,
                    image=image,
                    part_of=config.part_of,
                    version=config.version,
                    files=files or [],
                    secret_env=secret_env or {},
                    skip_await=config.kubernetes.skip_await,
                    secrets=args.secrets,
                ),
                opts=child,
            )

        def bind(workload: str, rules: list[dict[str, Any]]) -> None:
            labels = recommended_labels(workload, COMPONENT, config.part_of, config.version)
            role = k8s.rbac.v1.Role(
                workload,
                metadata=metadata(workload, args.namespace, labels),
                rules=rules,
                opts=child,
            )
            k8s.rbac.v1.RoleBinding(
                workload,
                metadata=metadata(workload, args.namespace, labels),
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": workload},
                subjects=[{"kind": "ServiceAccount", "name": workload, "namespace": args.namespace}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
            )

        prometheus = deploy(
            prom.PROMETHEUS,
            prometheus_spec(config),
            images.prometheus,
            [
                ConfigFiles("config", prom.CONFIG_DIR, {"prometheus.yml": prom.render_prometheus(config)}),
                ConfigFiles("rules", prom.RULES_DIR, rule_files(config)),
            ],
        )
        bind(prom.PROMETHEUS, prometheus_role_rules())
        if spec.nodes.enabled:
            cluster_name = f"{ns}-prometheus-nodes"
            labels = recommended_labels(prom.PROMETHEUS, COMPONENT, config.part_of, config.version)
            cluster_role = k8s.rbac.v1.ClusterRole(
                cluster_name,
                metadata=metadata(cluster_name, None, labels),
                rules=node_cluster_role_rules(),
                opts=child,
            )
            k8s.rbac.v1.ClusterRoleBinding(
                cluster_name,
                metadata=metadata(cluster_name, None, labels),
                role_ref={
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": cluster_name,
                },
                subjects=[{"kind": "ServiceAccount", "name": prom.PROMETHEUS, "namespace": args.namespace}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_role]),
            )

        am_files = [
            ConfigFiles(
                "config", am.CONFIG_DIR, {"alertmanager.yml": am.render_alertmanager(spec.alertmanager)}
            ),
            ConfigFiles(
                "templates",
                am.TEMPLATES_DIR,
                {"shiksha.tmpl": am.notification_template(spec.alerts.runbook_base_url)},
            ),
        ]
        if spec.alertmanager.pagerduty_enabled:
            # A Secret mounted as a file: the key never enters a ConfigMap, an env var or an output.
            am_files.append(
                ConfigFiles(
                    "pagerduty",
                    am.SECRETS_DIR,
                    {am.ROUTING_KEY_FILE: secret("pagerdutyRoutingKey")},
                    secret=True,
                )
            )
        alertmanager = deploy(prom.ALERTMANAGER, alertmanager_spec(config), images.alertmanager, am_files)

        if spec.blackbox.targets:
            deploy(
                prom.BLACKBOX,
                blackbox_spec(config),
                images.blackbox_exporter,
                [
                    ConfigFiles(
                        "config", BLACKBOX_CONFIG_DIR, {"blackbox.yml": render_blackbox(spec.blackbox)}
                    )
                ],
            )

        exporter_images = {
            "postgres-exporter": images.postgres_exporter,
            "redis-exporter": images.redis_exporter,
            "kube-state-metrics": images.kube_state_metrics,
        }
        for workload, workload_spec in exporter_specs(config).items():
            secret_env: dict[str, SecretText] = {}
            if workload == "postgres-exporter":
                secret_env["DATA_SOURCE_PASS"] = secret("postgresExporterPassword")
            elif workload == "redis-exporter":
                secret_env["REDIS_PASSWORD"] = secret("redisMonitorPassword")
            deploy(workload, workload_spec, exporter_images[workload], secret_env=secret_env)
            if workload == "kube-state-metrics":
                bind(workload, kube_state_metrics_role_rules())

        self.prometheus_service = prometheus.service_name
        self.alertmanager_service = alertmanager.service_name
        self.register_outputs(
            {"prometheusService": self.prometheus_service, "alertmanagerService": self.alertmanager_service}
        )
