"""The estate each stack registers: every workload, hardened, with its guardrails."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import Snapshot

WORKLOADS = {
    "api": "Deployment",
    "worker": "Deployment",
    "beat": "Deployment",
    "frontend": "Deployment",
    "vllm": "Deployment",
    "postgres": "StatefulSet",
    "redis": "StatefulSet",
}
NAMESPACE = "shiksha-setu"


def containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return spec["containers"] + spec.get("initContainers", []) + spec.get("ephemeralContainers", [])


def test_every_platform_workload_is_present(estate: Snapshot) -> None:
    for name, kind in WORKLOADS.items():
        workload = estate.one(kind, name)
        assert workload.inputs["metadata"]["namespace"] == NAMESPACE
        assert "shiksha:index:SecureDeployment" in workload.parent_types
        assert estate.one("ServiceAccount", name).inputs["automountServiceAccountToken"] is False


def test_every_pod_template_meets_restricted_and_more(estate: Snapshot) -> None:
    templates = list(estate.pod_templates())
    assert len(templates) >= len(WORKLOADS)
    for workload, template in templates:
        where = workload.inputs["metadata"]["name"]
        pod = template["spec"]
        pod_context = pod["securityContext"]
        assert pod_context["runAsNonRoot"] is True, where
        assert pod_context["runAsUser"] > 0 and pod_context["runAsGroup"] > 0, where
        assert pod_context["fsGroup"] > 0, where
        assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(key), where
        for container in containers(template):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            assert context.get("privileged") in (None, False), where
            assert context["runAsNonRoot"] is True, where
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests), where
            # A read-only root needs somewhere to write: /tmp at least, as an emptyDir.
            mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "/tmp" in mounted, where
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert "emptyDir" in volumes[mounted["/tmp"]], where


def test_recommended_labels_and_config_checksum(estate: Snapshot) -> None:
    for workload, template in estate.pod_templates():
        labels = template["metadata"]["labels"]
        name = workload.inputs["metadata"]["name"]
        assert labels["app.kubernetes.io/name"] == name
        assert labels["app.kubernetes.io/part-of"] == "shiksha-setu"
        assert labels["app.kubernetes.io/component"]
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"
        assert len(template["metadata"]["annotations"]["checksum/config"]) == 64
        # Selectors must be a subset of the template labels and never include the version.
        selector = workload.inputs["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        assert "app.kubernetes.io/version" not in selector


def test_namespace_guardrails(estate: Snapshot) -> None:
    namespace = estate.one("Namespace", NAMESPACE).inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert namespace[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    hard = estate.one("ResourceQuota", "platform-quota").inputs["spec"]["hard"]
    assert hard["limits.cpu"] == "32" and hard["limits.memory"] == "64Gi"
    assert hard["requests.cpu"] == "20" and hard["requests.memory"] == "40Gi"
    assert int(hard["pods"]) > 0 and hard["services.loadbalancers"] == "0"
    limits = estate.one("LimitRange", "platform-limits").inputs["spec"]["limits"][0]
    assert limits["type"] == "Container"
    assert limits["default"] == {"cpu": "500m", "memory": "512Mi"}
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_quota_fits_the_estate_at_full_scale(estate: Snapshot) -> None:
    from components.config.types import cpu_millicores, memory_bytes

    # Every autoscaler at its maximum, and every surging rollout at once.
    cpu = memory = 0
    for workload, template in estate.pod_templates():
        replicas = workload.inputs["spec"].get("replicas") or 1
        hpa = [
            h
            for h in estate.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
            if h.inputs["spec"]["scaleTargetRef"]["name"] == workload.inputs["metadata"]["name"]
        ]
        if hpa:
            replicas = hpa[0].inputs["spec"]["maxReplicas"]
        strategy = workload.inputs["spec"].get("strategy", {})
        replicas += strategy.get("rollingUpdate", {}).get("maxSurge", 0)
        for container in template["spec"]["containers"]:
            limits = container["resources"]["limits"]
            cpu += replicas * cpu_millicores(limits["cpu"])
            memory += replicas * memory_bytes(limits["memory"])
    hard = estate.one("ResourceQuota", "platform-quota").inputs["spec"]["hard"]
    assert cpu <= cpu_millicores(hard["limits.cpu"])
    assert memory <= memory_bytes(hard["limits.memory"])


@pytest.mark.parametrize("name", ["api", "worker", "frontend"])
def test_multi_replica_workloads_have_a_pdb_that_allows_disruption(estate: Snapshot, name: str) -> None:
    pdb = estate.one("PodDisruptionBudget", name).inputs["spec"]
    assert pdb["maxUnavailable"] >= 1
    assert pdb["selector"]["matchLabels"]["app.kubernetes.io/name"] == name


def test_single_replica_workloads_have_no_pdb(estate: Snapshot) -> None:
    names = {p.inputs["metadata"]["name"] for p in estate.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    assert not names & {"beat", "vllm", "postgres", "redis"}


def test_anti_affinity_and_zone_spread(estate: Snapshot) -> None:
    for workload, template in estate.pod_templates():
        pod = template["spec"]
        name = workload.inputs["metadata"]["name"]
        term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
        assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        assert term["podAffinityTerm"]["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == name
        spread = pod["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone" and spread["maxSkew"] == 1


def test_long_running_containers_have_readiness_and_liveness(estate: Snapshot) -> None:
    for _workload, template in estate.pod_templates():
        for container in template["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container


def test_vllm_gpu_scheduling_and_slow_start(estate: Snapshot) -> None:
    pod = estate.one("Deployment", "vllm").inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    container = pod["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    startup = container["startupProbe"]
    # Model loading: at least ten minutes before liveness may restart the pod.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600
    strategy = estate.one("Deployment", "vllm").inputs["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxSurge"] == 0


def test_beat_is_a_true_singleton(estate: Snapshot) -> None:
    spec = estate.one("Deployment", "beat").inputs["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}


def test_api_autoscales_without_fighting_pulumi(estate: Snapshot) -> None:
    assert "replicas" not in estate.one("Deployment", "api").inputs["spec"]
    hpa = estate.one("HorizontalPodAutoscaler", "api").inputs["spec"]
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] >= hpa["minReplicas"]


def test_postgres_tuning_and_scram_only(estate: Snapshot) -> None:
    statefulset = estate.one("StatefulSet", "postgres").inputs["spec"]
    args = statefulset["template"]["spec"]["containers"][0]["args"]
    settings = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-c")
    for key in (
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "maintenance_work_mem",
        "max_connections",
    ):
        assert key in settings
    assert settings["password_encryption"] == "scram-sha-256"
    hba = estate.one("ConfigMap", "postgres-hba").inputs["data"]["pg_hba.conf"]
    methods = {line.split()[-1] for line in hba.splitlines() if line and not line.startswith("#")}
    assert methods == {"scram-sha-256"}
    assert statefulset["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    env = {e["name"]: e for e in statefulset["template"]["spec"]["containers"][0]["env"]}
    assert "secretKeyRef" in env["POSTGRES_PASSWORD"]["valueFrom"]
    assert "scram-sha-256" in env["POSTGRES_INITDB_ARGS"]["value"]


def test_redis_password_and_eviction(estate: Snapshot) -> None:
    conf = estate.one("ConfigMap", "redis-config").inputs["data"]["redis.conf"]
    assert "maxmemory-policy allkeys-lru" in conf and "maxmemory " in conf
    assert "appendonly yes" in conf
    assert "requirepass" not in conf, "the password belongs in the Secret, not the ConfigMap"
    auth = estate.one("Secret", "redis-auth")
    assert "stringData" in auth.secret_paths
    include = next(line.split()[1] for line in conf.splitlines() if line.startswith("include"))
    mounts = estate.one("StatefulSet", "redis").inputs["spec"]["template"]["spec"]["containers"][0][
        "volumeMounts"
    ]
    assert any(include.startswith(m["mountPath"] + "/") and m.get("readOnly") for m in mounts)


def test_pods_roll_when_config_changes_and_not_otherwise() -> None:
    from tests.support.program import run_program

    def checksum(snapshot: Snapshot) -> str:
        template = snapshot.one("StatefulSet", "redis").inputs["spec"]["template"]
        return str(template["metadata"]["annotations"]["checksum/config"])

    base = checksum(run_program("prod"))
    assert checksum(run_program("prod")) == base
    changed = run_program("prod", overrides={"shiksha-setu:redis": {"maxmemoryPolicy": "allkeys-lfu"}})
    assert checksum(changed) != base
