"""plan(config) -> EstatePlan, tested without a Pulumi runtime: what runs, who gets which
credential (recipes, never values), routes, scrape jobs and network intent."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.loader import parse_estate
from components.kube.labels import selector_labels
from components.kube.network_policies import plan_policies
from components.plan.estate import EstatePlan, plan
from components.render.prometheus import render_prometheus
from components.values.secret_text import SecretText, secret
from tests.support.program import ROOT, TEST_SECRETS

# A workload a user adds in the stack config, with a port named `metrics` and no
# `monitoring.jobs` entry for it.
REPORTS: dict[str, Any] = {
    "component": "reports",
    "image": "backend",
    "command": ["python"],
    "args": ["-m", "app.reports"],
    "ports": {"http": 8100, "metrics": 9400},
    "connectsTo": ["postgres"],
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    },
    "probes": {"readiness": {"httpPath": "/health", "port": "http"}},
}


def _plan(values: dict[str, Any] | None = None) -> EstatePlan:
    return plan(parse_estate(values or {}))


def _with_reports(**extra: Any) -> EstatePlan:
    return _plan({"workloads": {"reports": REPORTS}, **extra})


def _policy(estate: EstatePlan, name: str) -> dict[str, Any]:
    [policy] = [p for p in plan_policies(estate.network) if p["metadata"]["name"] == f"{name}-netpol"]
    return dict(policy["spec"])


def _ports(rules: list[dict[str, Any]], selector: dict[str, str]) -> set[int | str]:
    return {
        port["port"]
        for rule in rules
        for peer in rule.get("from", rule.get("to", []))
        if peer.get("podSelector", {}).get("matchLabels") == selector
        for port in rule.get("ports", [])
    }


def test_the_plan_holds_platform_then_monitoring_then_exporters() -> None:
    config = parse_estate({})
    estate = plan(config)
    assert list(estate.platform) == list(config.enabled_workloads)
    assert list(estate.of_role("monitoring")) == ["prometheus", "alertmanager", "blackbox-exporter"]
    assert set(estate.of_role("exporter")) == {"postgres-exporter", "redis-exporter", "kube-state-metrics"}
    assert list(estate.workloads) == [*estate.platform, *estate.monitoring]
    # A platform workload names its image key; the monitoring ones carry a pinned reference.
    assert estate.workloads["api"].image == "backend"
    assert estate.workloads["prometheus"].image == "quay.io/prometheus/prometheus:v2.54.1"


def test_a_monitoring_workload_runs_exactly_the_image_the_stack_pins() -> None:
    digest = "quay.io/prometheus/prometheus@sha256:" + "ab" * 32
    estate = _plan({"monitoring": {"images": {"prometheus": digest}}})
    assert estate.workloads["prometheus"].image == digest
    assert estate.workloads["alertmanager"].image == "quay.io/prometheus/alertmanager:v0.27.0"


def test_credentials_follow_connects_to_as_recipes() -> None:
    estate = _plan()
    api = estate.workloads["api"]
    assert api.credentials == ["postgresPassword", "redisPassword"]
    assert all(isinstance(v, SecretText) for v in api.secret_env.values())
    # Nothing calls a datastore from the frontend: it gets no credential at all.
    assert estate.workloads["frontend"].credentials == []
    assert estate.workloads["frontend"].secret_env == {}
    # Each exporter gets exactly its datastore's monitoring login.
    assert estate.workloads["postgres-exporter"].secret_env == {
        "DATA_SOURCE_PASS": secret("postgresExporterPassword")
    }
    assert estate.workloads["redis-exporter"].credentials == ["redisMonitorPassword"]
    assert estate.workloads["kube-state-metrics"].credentials == []
    # PagerDuty's key is a secret file of Alertmanager, nobody else's.
    holders = {n for n, w in estate.workloads.items() if "pagerdutyRoutingKey" in w.credentials}
    assert holders == {"alertmanager"}


def test_the_plan_holds_no_secret_value() -> None:
    # plan() takes no secrets: a value cannot be in it. The recipes render only when given one.
    text = repr(_plan())
    assert not [key for key, value in TEST_SECRETS.items() if value in text]
    url = _plan().workloads["api"].secret_env["DATABASE_URL"]
    assert "p%40ss" in url.render({"postgresPassword": "p@ss"})


def test_a_new_workload_with_a_metrics_port_is_scraped_and_reachable() -> None:
    config = parse_estate({"workloads": {"reports": REPORTS}})
    estate = plan(config)
    jobs = [job for job in estate.scrape_jobs if job.workload == "reports"]
    assert [(j.name, j.port, j.path) for j in jobs] == [("reports", "metrics", "/metrics")]
    assert ("reports", "metrics") in estate.network.scrape_targets
    # In prometheus.yml, keeping only the Service port named `metrics` of `reports`.
    rendered = yaml.safe_load(render_prometheus(config, estate.scrape_jobs))
    [job] = [j for j in rendered["scrape_configs"] if j["job_name"] == "reports"]
    assert "reports" in yaml.safe_dump(job) and "metrics" in yaml.safe_dump(job)
    # Prometheus may reach it on the metrics port, and only Prometheus on that port.
    prometheus = selector_labels("prometheus", config.part_of)
    reports = selector_labels("reports", config.part_of)
    [ingress] = _policy(estate, "reports")["ingress"]
    assert ingress["from"] == [{"podSelector": {"matchLabels": prometheus}}]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 9400}]
    assert 9400 in _ports(_policy(estate, "prometheus")["egress"], reports)


def test_without_a_metrics_port_nothing_is_scraped() -> None:
    quiet = {**REPORTS, "ports": {"http": 8100}}
    estate = _plan({"workloads": {"reports": quiet}})
    assert not [j for j in estate.scrape_jobs if j.workload == "reports"]
    assert not [t for t in estate.network.scrape_targets if t[0] == "reports"]


def test_a_monitoring_job_for_the_same_port_is_not_doubled() -> None:
    jobs = {"reports": {"workload": "reports", "port": "metrics", "interval": "15s"}}
    estate = _with_reports(monitoring={"jobs": jobs})
    scraping = [j for j in estate.scrape_jobs if (j.workload, j.port) == ("reports", "metrics")]
    assert [(j.name, j.interval) for j in scraping] == [("reports", "15s")]
    # The defaults' api and worker jobs scrape their metrics ports once each, as before.
    defaults = _plan()
    assert [j.name for j in defaults.scrape_jobs if j.workload in ("api", "worker")] == ["api", "worker"]


def test_monitoring_jobs_still_scrape_other_ports_and_a_taken_name_is_not_reused() -> None:
    # A job named `reports` scraping the api's http port: the metrics port gets its own job.
    jobs = {"reports": {"workload": "api", "port": "http", "path": "/stats"}}
    estate = _with_reports(monitoring={"jobs": jobs})
    by_name = {j.name: (j.workload, j.port) for j in estate.scrape_jobs}
    assert by_name["reports"] == ("api", "http")
    assert by_name["reports-metrics"] == ("reports", "metrics")
    names = [j.name for j in estate.scrape_jobs]
    assert len(names) == len(set(names))


def test_monitoring_off_plans_no_monitoring_and_no_scrapes() -> None:
    estate = _with_reports(monitoring={"enabled": False})
    assert estate.monitoring == {}
    assert estate.scrape_jobs == ()
    assert estate.network.scrape_targets == []
    assert "prometheus" not in estate.network.workloads


def test_routes_and_network_intent_come_from_the_config() -> None:
    # The production routes, written out: /api and /ws to the api, / to the frontend.
    estate = _plan()
    default = [("api", "http"), ("api", "http"), ("frontend", "http")]
    assert [(r.backend, r.port) for r in estate.routes] == default
    assert [(r.backend, r.port) for r in estate.network.routes] == default
    # One route added, one default removed: the plan follows, in the model's order.
    changed = _with_reports(edge={"routes": {"/reports": {"backend": "reports"}, "/ws": None}})
    assert [(r.backend, r.port) for r in changed.routes] == [
        ("api", "http"),
        ("frontend", "http"),
        ("reports", "http"),
    ]
    assert set(estate.network.workloads) == set(estate.workloads)
    # Without the Kubernetes edge the network opens no route; the plan still knows them.
    off = _plan({"ingress": {"enabled": False}})
    assert off.network.routes == [] and off.routes == estate.routes


@pytest.mark.parametrize("package", ["plan", "docker"])
def test_the_pure_packages_import_no_pulumi(package: str) -> None:
    for path in sorted((ROOT / "components" / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0].startswith("pulumi")], Path(path).name


LOGGING = {
    "enabled": True,
    "endpoint": "https://logs.example.org/otlp/v1/logs",
    "endpointCidrs": ["203.0.113.0/24"],
}


def test_the_plan_decides_which_namespaces_hold_secrets_and_ship_logs() -> None:
    # The ClusterSecretStore serves only these; the collector ships only those.
    off = _plan()
    assert off.secret_namespaces == ("shiksha-setu",)
    assert off.logged_namespaces == ()
    on = _plan({"logging": LOGGING})
    assert on.secret_namespaces == ("shiksha-setu", "shiksha-setu-logging")
    assert on.logged_namespaces == ("shiksha-setu",)
    chosen = _plan({"logging": {**LOGGING, "namespaces": ["shiksha-setu", "ingress-nginx"]}})
    assert chosen.logged_namespaces == ("shiksha-setu", "ingress-nginx")


def test_the_plan_carries_no_config() -> None:
    # The targets map config and plan to the components' Args; nothing reads config off the plan.
    assert "config" not in {f.name for f in dataclasses.fields(EstatePlan)}
