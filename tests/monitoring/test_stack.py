"""The MonitoringStack as the real program registers it, under Pulumi mocks."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import yaml

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.plan.monitoring import ALERTMANAGER_TARGET, exporter_specs, scrape_jobs, scrape_targets
from tests.support.program import TEST_SECRETS, Snapshot, run_program

MONITORING_WORKLOADS = (
    "prometheus",
    "alertmanager",
    "blackbox-exporter",
    "postgres-exporter",
    "redis-exporter",
    "kube-state-metrics",
)


@cache
def prod() -> Snapshot:
    return run_program("prod")


def pod_spec(snap: Snapshot, kind: str, name: str) -> dict[str, Any]:
    return dict(snap.one(kind, name).inputs["spec"]["template"]["spec"])


def test_component_type_and_children() -> None:
    snap = prod()
    stacks = snap.of_type("shiksha:index:MonitoringStack")
    assert [s.name for s in stacks] == ["monitoring"]
    deployments = {
        r.name
        for r in snap.of_type("shiksha:index:SecureDeployment")
        if r.parent_types[-1:] == ["shiksha:index:MonitoringStack"]
    }
    assert deployments == set(MONITORING_WORKLOADS)


def test_prometheus_statefulset_storage_and_retention() -> None:
    snap = run_program(
        "prod",
        overrides={
            "monitoring": {"prometheus": {"retention": "30d", "storageSize": "80Gi", "retentionSize": "70GB"}}
        },
    )
    sts = snap.one("StatefulSet", "prometheus").inputs["spec"]
    claim = sts["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "80Gi"
    container = sts["template"]["spec"]["containers"][0]
    assert "--storage.tsdb.retention.time=30d" in container["args"]
    assert "--storage.tsdb.retention.size=70GB" in container["args"]
    data = [m for m in container["volumeMounts"] if m["name"] == "data"]
    assert data and f"--storage.tsdb.path={data[0]['mountPath']}" in container["args"]


def test_prometheus_role_is_read_only_on_exactly_what_discovery_uses() -> None:
    snap = prod()
    role = snap.one("Role", "prometheus").inputs
    granted = {
        (group, res, verb)
        for r in role["rules"]
        for group in r["apiGroups"]
        for res in r["resources"]
        for verb in r["verbs"]
    }
    assert granted == {
        (group, res, verb)
        for group, res in (("", "pods"), ("", "services"), ("discovery.k8s.io", "endpointslices"))
        for verb in ("get", "list", "watch")
    }
    # The generated config discovers exactly through that role, in that namespace only.
    prom = yaml.safe_load(snap.one("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])
    sd = [
        c
        for job in prom["scrape_configs"]
        for c in job.get("kubernetes_sd_configs", [])
        if c["role"] != "node"
    ]
    assert sd and all(c == {"role": "endpointslice", "namespaces": {"names": ["shiksha-setu"]}} for c in sd)
    binding = snap.one("RoleBinding", "prometheus").inputs
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "prometheus",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "prometheus", "namespace": "shiksha-setu"}
    ]


def test_cluster_role_only_for_kubelet_scrapes() -> None:
    cluster_roles = [r for r in prod().kubernetes_objects() if r.kind == "ClusterRole"]
    assert len(cluster_roles) == 1
    rules = cluster_roles[0].inputs["rules"]
    assert rules == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    ]
    without_nodes = run_program("prod", overrides={"monitoring": {"nodes": {"enabled": False}}})
    kinds = {r.kind for r in without_nodes.kubernetes_objects()}
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds


def test_only_discovery_workloads_get_a_token() -> None:
    snap = prod()
    with_token = set()
    for name in MONITORING_WORKLOADS:
        kind = "StatefulSet" if name == "prometheus" else "Deployment"
        template = snap.one(kind, name).inputs["spec"]["template"]
        if template["spec"]["automountServiceAccountToken"]:
            with_token.add(name)
            assert template["metadata"]["annotations"]["shiksha.io/automount-token-reason"]
    assert with_token == {"prometheus", "kube-state-metrics"}


def test_config_mounts_are_read_only_configmaps() -> None:
    snap = prod()
    for kind, name, volumes in (
        ("StatefulSet", "prometheus", {"config": "prometheus-config", "rules": "prometheus-rules"}),
        (
            "Deployment",
            "alertmanager",
            {"config": "alertmanager-config", "templates": "alertmanager-templates"},
        ),
        ("Deployment", "blackbox-exporter", {"config": "blackbox-exporter-config"}),
    ):
        spec = pod_spec(snap, kind, name)
        by_name = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
        for volume, config_map in volumes.items():
            assert by_name[volume]["configMap"]["name"] == config_map
            assert mounts[volume]["readOnly"] is True
            snap.one("ConfigMap", config_map)


def test_config_file_paths_match_the_mounts() -> None:
    snap = prod()
    spec = pod_spec(snap, "StatefulSet", "prometheus")
    container = spec["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert f"--config.file={mounts['config']}/prometheus.yml" in container["args"]
    prom = yaml.safe_load(snap.one("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])
    # Rule files are found relative to the config file's directory, in the rules mount.
    rule_glob = prom["rule_files"][0]
    resolved = f"{mounts['config']}/{rule_glob}".replace("/config/../", "/")
    assert resolved == f"{mounts['rules']}/*.yml"
    assert set(snap.one("ConfigMap", "prometheus-rules").inputs["data"]) >= {
        "api.yml",
        "task-queue.yml",
        "probes.yml",
    }


def test_pagerduty_key_is_a_secret_file_never_a_configmap() -> None:
    snap = prod()
    key = TEST_SECRETS["pagerdutyRoutingKey"]
    secret = snap.one("Secret", "alertmanager-pagerduty")
    assert "stringData" in secret.secret_paths
    spec = pod_spec(snap, "Deployment", "alertmanager")
    volume = next(
        v for v in spec["volumes"] if v.get("secret", {}).get("secretName") == "alertmanager-pagerduty"
    )
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
    assert mount["readOnly"] is True
    config = yaml.safe_load(snap.one("ConfigMap", "alertmanager-config").inputs["data"]["alertmanager.yml"])
    files = [pd["routing_key_file"] for r in config["receivers"] for pd in r.get("pagerduty_configs", [])]
    assert files and all(f.startswith(mount["mountPath"] + "/") for f in files)
    assert all("routing_key" not in pd for r in config["receivers"] for pd in r.get("pagerduty_configs", []))
    # The key's value is nowhere but in the Secret: not in ConfigMaps, env, other objects, outputs.
    for resource in snap.resources:
        if resource is secret:
            continue
        assert key not in json.dumps(resource.inputs), resource.name
    assert key not in json.dumps(snap.outputs, default=str)


def test_no_secret_value_in_any_monitoring_configmap() -> None:
    snap = prod()
    for resource in snap.kubernetes_objects():
        if resource.kind == "ConfigMap":
            text = json.dumps(resource.inputs)
            for value in TEST_SECRETS.values():
                assert value not in text, resource.name


def test_exporter_credentials_come_from_secrets() -> None:
    snap = prod()
    env = {e["name"]: e for e in pod_spec(snap, "Deployment", "postgres-exporter")["containers"][0]["env"]}
    assert "secretKeyRef" in env["DATA_SOURCE_PASS"]["valueFrom"]
    env = {e["name"]: e for e in pod_spec(snap, "Deployment", "redis-exporter")["containers"][0]["env"]}
    assert "secretKeyRef" in env["REDIS_PASSWORD"]["valueFrom"]


def _checksum(snap: Snapshot, kind: str, name: str) -> str:
    return str(snap.one(kind, name).inputs["spec"]["template"]["metadata"]["annotations"]["checksum/config"])


def test_checksum_rolls_only_the_pods_whose_config_changed() -> None:
    before = prod()
    after = run_program(
        "prod",
        overrides={
            "monitoring": {"jobs": {"api": {"workload": "api", "port": "metrics", "interval": "15s"}}}
        },
    )
    assert _checksum(before, "StatefulSet", "prometheus") != _checksum(after, "StatefulSet", "prometheus")
    assert _checksum(before, "Deployment", "alertmanager") == _checksum(after, "Deployment", "alertmanager")


def test_scrape_targets_name_real_ports() -> None:
    config = parse_estate({})
    targets = scrape_targets(config, scrape_jobs(config))
    assert ("api", "metrics") in targets and ("worker", "metrics") in targets and ("vllm", "http") in targets
    assert ALERTMANAGER_TARGET in targets
    snap = prod()
    for workload, port in targets:
        service = snap.one("Service", workload).inputs["spec"]
        assert port in {p["name"] for p in service["ports"]}, (workload, port)


def test_exporters_follow_their_subjects() -> None:
    # A disabled workload may no longer be connected to: its callers drop the connection.
    without_redis = {
        "redis": {"enabled": False},
        "api": {"connectsToRemove": ["redis"]},
        "worker": {"connectsToRemove": ["redis"]},
        "beat": {"connectsToRemove": ["redis"]},
    }
    config = parse_estate(
        {"workloads": without_redis, "monitoring": {"exporters": {"kubeStateMetrics": False}}}
    )
    assert set(exporter_specs(config)) == {"postgres-exporter"}


def test_pagerduty_key_required_only_when_used() -> None:
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "pagerdutyRoutingKey"}
    with pytest.raises(ConfigError, match="pagerdutyRoutingKey: required secret is missing"):
        run_program("prod", secrets=secrets)
    no_pager = {
        "monitoring": {
            "alertmanager": {
                "receivers": {"platform-warnings": {"webhook": {"url": "http://relay:8080/"}}},
                "defaultReceiver": "platform-warnings",
                "routes": [{"severity": "critical", "receiver": "platform-warnings"}],
            }
        }
    }
    snap = run_program("prod", overrides=no_pager, secrets=secrets)
    assert not [
        r for r in snap.kubernetes_objects() if r.kind == "Secret" and r.name == "alertmanager-pagerduty"
    ]


def test_monitoring_can_be_disabled() -> None:
    snap = run_program("prod", overrides={"monitoring": {"enabled": False}})
    assert not snap.of_type("shiksha:index:MonitoringStack")


def test_scrape_job_naming_a_missing_port_stops_the_program() -> None:
    with pytest.raises(ConfigError, match=r"monitoring\.jobs\.api\.port: got 'grpc'"):
        run_program("prod", overrides={"monitoring": {"jobs": {"api": {"workload": "api", "port": "grpc"}}}})
