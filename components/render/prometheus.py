"""The estate's monitoring config -> prometheus.yml, and the names both sides agree on.

Discovery is Kubernetes endpointslices in the platform namespace only, so Prometheus's
Role needs get/list/watch on pods, services and endpointslices there and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.config.estate import EstateConfig
from components.config.monitoring import ALERTMANAGER, BLACKBOX, PROMETHEUS, duration_seconds
from components.render.yaml_text import dump_yaml

PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
BLACKBOX_PORT = 9115

CONFIG_DIR = "/etc/prometheus/config"
RULES_DIR = "/etc/prometheus/rules"
DATA_DIR = "/prometheus"
# Relative to the config file, so the same text works mounted in the pod and in a test's
# temporary directory; config and rules are separate read-only mounts side by side.
RULE_GLOB = "../rules/*.yml"

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class ServiceJob:
    """A scrape job over the pods behind one Service port."""

    name: str
    workload: str
    port: str
    path: str
    interval: str
    timeout: str | None = None


def _drop_metrics(config: EstateConfig) -> list[dict[str, Any]]:
    patterns = config.monitoring.dropped_metrics
    if not patterns:
        return []
    return [{"source_labels": ["__name__"], "regex": "|".join(patterns), "action": "drop"}]


def _clean_instance() -> list[dict[str, Any]]:
    # host:port -> host; a pod's name, when discovery knows it, is better still.
    return [
        {
            "source_labels": ["__address__"],
            "regex": "(.+?)(?::\\d+)?",
            "target_label": "instance",
            "replacement": "$1",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_name"],
            "regex": "(.+)",
            "target_label": "instance",
            "replacement": "$1",
        },
    ]


def _service_job(config: EstateConfig, job: ServiceJob) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_name": job.name,
        "scrape_interval": job.interval,
        "metrics_path": job.path,
        "kubernetes_sd_configs": [
            {"role": "endpointslice", "namespaces": {"names": [config.namespace.name]}}
        ],
        "relabel_configs": [
            {
                "source_labels": [
                    "__meta_kubernetes_service_name",
                    "__meta_kubernetes_endpointslice_port_name",
                ],
                "regex": f"{job.workload};{job.port}",
                "action": "keep",
            },
            *_clean_instance(),
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }
    timeout = job.timeout
    if timeout is None and duration_seconds(job.interval) < duration_seconds(
        config.monitoring.prometheus.scrape_timeout
    ):
        # Prometheus refuses a timeout longer than the interval; cap the global default.
        timeout = job.interval
    if timeout is not None:
        body["scrape_timeout"] = timeout
    if drop := _drop_metrics(config):
        body["metric_relabel_configs"] = drop
    return body


def _kubelet_job(config: EstateConfig, name: str, path: str) -> dict[str, Any]:
    nodes = config.monitoring.nodes
    body: dict[str, Any] = {
        "job_name": name,
        "scrape_interval": nodes.interval,
        "metrics_path": path,
        "scheme": "https",
        "tls_config": {"ca_file": f"{SA_DIR}/ca.crt"},
        "authorization": {"credentials_file": f"{SA_DIR}/token"},
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [
            {
                "source_labels": ["__meta_kubernetes_node_address_InternalIP"],
                "regex": "(.+)",
                "target_label": "__address__",
                "replacement": f"$1:{nodes.kubelet_port}",
            },
            {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "instance"},
            {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"},
        ],
    }
    metric_relabel = _drop_metrics(config)
    if path.endswith("cadvisor"):
        # cAdvisor reports every container on the node; only the platform's are ours to keep.
        metric_relabel.append(
            {"source_labels": ["namespace"], "regex": config.namespace.name, "action": "keep"}
        )
    if metric_relabel:
        body["metric_relabel_configs"] = metric_relabel
    return body


def _blackbox_job(config: EstateConfig) -> dict[str, Any]:
    spec = config.monitoring.blackbox
    return {
        "job_name": "blackbox",
        "scrape_interval": spec.interval,
        "metrics_path": "/probe",
        "static_configs": [
            {"targets": [target.url], "labels": {"module": target.module, "probe": name}}
            for name, target in spec.targets.items()
        ],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["module"], "target_label": "__param_module"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": f"{BLACKBOX}:{BLACKBOX_PORT}"},
        ],
    }


def prometheus_config(config: EstateConfig, service_jobs: Sequence[ServiceJob]) -> dict[str, Any]:
    """prometheus.yml for the plan's scrape jobs (EstatePlan.scrape_jobs: the plan decides
    what is scraped, this writes it down), plus Prometheus itself, the nodes and blackbox."""
    spec = config.monitoring
    prom = spec.prometheus
    jobs: list[dict[str, Any]] = [
        {
            "job_name": PROMETHEUS,
            "static_configs": [{"targets": [f"localhost:{PROMETHEUS_PORT}"]}],
            "relabel_configs": _clean_instance(),
        }
    ]
    jobs += [_service_job(config, job) for job in service_jobs]
    if spec.nodes.enabled:
        jobs.append(_kubelet_job(config, "nodes", "/metrics"))
        jobs.append(_kubelet_job(config, "cadvisor", "/metrics/cadvisor"))
    if spec.blackbox.targets:
        jobs.append(_blackbox_job(config))
    return {
        "global": {
            "scrape_interval": prom.scrape_interval,
            "scrape_timeout": prom.scrape_timeout,
            "evaluation_interval": prom.evaluation_interval,
            "external_labels": {"cluster": config.part_of},
        },
        "rule_files": [RULE_GLOB],
        "alerting": {
            "alertmanagers": [
                {
                    "api_version": "v2",
                    "static_configs": [{"targets": [f"{ALERTMANAGER}:{ALERTMANAGER_PORT}"]}],
                }
            ]
        },
        "scrape_configs": jobs,
    }


def render_prometheus(config: EstateConfig, service_jobs: Sequence[ServiceJob]) -> str:
    return dump_yaml(prometheus_config(config, service_jobs))
