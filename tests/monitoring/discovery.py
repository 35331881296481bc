"""Stand-ins for Kubernetes discovery, for running the generated config outside a cluster.

Debian's prometheus and promtool are built without the Kubernetes service discovery, and
no test has a cluster. `as_static` replaces each `kubernetes_sd_configs` with the target
Kubernetes discovery would find, carrying the same `__meta_kubernetes_*` labels, so every
relabel rule still runs exactly as written; only the address changes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
SERVICE_KEEP = re.compile(r"^([a-z0-9-]+);([a-z0-9-]+)$")


def service_job_identity(job: dict[str, Any]) -> tuple[str, str] | None:
    """(service, port name) a service job keeps, read from its keep rule."""
    for rule in job.get("relabel_configs", []):
        if rule.get("action") == "keep" and rule.get("source_labels") == [
            "__meta_kubernetes_service_name",
            "__meta_kubernetes_endpointslice_port_name",
        ]:
            match = SERVICE_KEEP.match(rule["regex"])
            if match:
                return match.group(1), match.group(2)
    return None


def as_static(
    config: dict[str, Any],
    address_for: dict[str, str],
    default_address: str,
    namespace: str,
    drop_jobs: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`address_for` maps a job name to host:port; other discovered jobs get `default_address`."""
    adjusted = copy.deepcopy(config)
    jobs = []
    for job in adjusted["scrape_configs"]:
        if job["job_name"] in drop_jobs:
            continue
        sd = job.pop("kubernetes_sd_configs", None)
        if sd is not None:
            identity = service_job_identity(job)
            labels: dict[str, str] = {"__meta_kubernetes_namespace": namespace}
            if identity is not None:
                service, port = identity
                labels |= {
                    "__meta_kubernetes_service_name": service,
                    "__meta_kubernetes_endpointslice_port_name": port,
                    "__meta_kubernetes_pod_name": f"{service}-0",
                }
            address = address_for.get(job["job_name"], default_address)
            job["static_configs"] = [{"targets": [address], "labels": labels}]
        jobs.append(job)
    adjusted["scrape_configs"] = jobs
    return adjusted


def with_serviceaccount(config: dict[str, Any], directory: str) -> dict[str, Any]:
    """Points the token and CA files Kubernetes projects into the pod at `directory`."""
    adjusted = copy.deepcopy(config)
    for job in adjusted["scrape_configs"]:
        for section, key in (("tls_config", "ca_file"), ("authorization", "credentials_file")):
            if key in job.get(section, {}):
                job[section][key] = job[section][key].replace(SA_DIR, directory)
    return adjusted
