"""Negative controls: the platform namespace as the estate configures it must reject what
Pod Security restricted, the quota, the limit range, ServiceAccount admission and
namespace lifecycle forbid, with the API server's own message. Each rejected Pod differs
from an accepted one (checked first) in one property only."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from kubernetes.utils import parse_quantity

from .estate import AppliedEstate
from .kube import Kube

pytestmark = [pytest.mark.apiserver, pytest.mark.slow]

PSA = 'violates PodSecurity "restricted:latest"'


def _restricted_container(name: str, cpu: str = "100m", memory: str = "64Mi") -> dict[str, Any]:
    return {
        "name": name,
        "image": "registry.invalid/probe:1.0.0",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
            "readOnlyRootFilesystem": True,
        },
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}},
    }


@pytest.fixture(scope="module")
def platform(applied: AppliedEstate) -> dict[str, Any]:
    """Names the probes need, read from the estate rather than assumed."""
    workloads = applied.of_kind("Deployment", "StatefulSet")
    namespace = workloads[0]["metadata"]["namespace"]
    quotas = [q for q in applied.of_kind("ResourceQuota") if q["metadata"]["namespace"] == namespace]
    limits = [r for r in applied.of_kind("LimitRange") if r["metadata"]["namespace"] == namespace]
    accounts = [a for a in applied.of_kind("ServiceAccount") if a["metadata"]["namespace"] == namespace]
    assert quotas and limits and accounts, "the platform namespace lacks a quota, a limit range or an account"
    container = next(item for item in limits[0]["spec"]["limits"] if item["type"] == "Container")
    return {
        "namespace": namespace,
        "quota": quotas[0],
        "container_limits": container,
        "account": accounts[0]["metadata"]["name"],
    }


def _pod(platform: dict[str, Any], name: str, containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": platform["namespace"]},
        "spec": {
            "serviceAccountName": platform["account"],
            "automountServiceAccountToken": False,
            "containers": containers,
        },
    }


def _create(kube: Kube, obj: dict[str, Any], dry_run: bool = False) -> tuple[int, str, dict[str, Any]]:
    path = kube.path(obj, with_name=False)
    response = kube.request("POST", path, obj, query="dryRun=All" if dry_run else "")
    if response.status < 300 and not dry_run:
        kube.request("DELETE", kube.path(obj))
    return response.status, response.message, response.body


@pytest.fixture(scope="module")
def compliant(platform: dict[str, Any], kube: Kube) -> dict[str, Any]:
    pod = _pod(platform, "admission-probe", [_restricted_container("probe")])
    status, message, _ = _create(kube, pod, dry_run=True)
    assert status == 201, f"the compliant control Pod was rejected: {message}"
    return pod


def test_privileged_pod_is_rejected(compliant: dict[str, Any], kube: Kube) -> None:
    pod = copy.deepcopy(compliant)
    ctx = pod["spec"]["containers"][0]["securityContext"]
    # Validation itself refuses privileged with allowPrivilegeEscalation=false.
    del ctx["allowPrivilegeEscalation"]
    ctx["privileged"] = True
    status, message, _ = _create(kube, pod)
    assert status == 403, message
    assert PSA in message
    assert 'privileged (container "probe" must not set securityContext.privileged=true)' in message


def test_workload_that_would_violate_is_warned_about(compliant: dict[str, Any], kube: Kube) -> None:
    """The control for the estate's no-warnings test: the Warning headers it reads are
    where Pod Security speaks about workloads (which it warns about, not rejects)."""
    template = copy.deepcopy(compliant)
    template["spec"]["containers"][0]["securityContext"]["runAsUser"] = 0
    del template["spec"]["containers"][0]["securityContext"]["runAsNonRoot"]
    labels = {"app": "warning-probe"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "warning-probe", "namespace": compliant["metadata"]["namespace"]},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": template["spec"]},
        },
    }
    response = kube.apply(deployment, dry_run=True)
    assert response.status < 300, response.message
    assert any(
        'would violate PodSecurity "restricted:latest"' in w and "runAsUser=0" in w for w in response.warnings
    ), response.warnings


def test_pod_running_as_root_is_rejected(compliant: dict[str, Any], kube: Kube) -> None:
    pod = copy.deepcopy(compliant)
    ctx = pod["spec"]["containers"][0]["securityContext"]
    del ctx["runAsNonRoot"]
    ctx["runAsUser"] = 0
    status, message, _ = _create(kube, pod)
    assert status == 403, message
    assert PSA in message
    assert (
        'runAsNonRoot != true (pod or container "probe" must set securityContext.runAsNonRoot=true)'
        in message
    )
    assert 'runAsUser=0 (container "probe" must not set runAsUser=0)' in message


def test_pod_over_the_namespace_quota_is_rejected(
    platform: dict[str, Any], compliant: dict[str, Any], kube: Kube
) -> None:
    # Each container at the limit range's max, together over the namespace's budget, so
    # it is the quota and nothing else that says no.
    hard = platform["quota"]["spec"]["hard"]
    per_container = parse_quantity(platform["container_limits"]["max"]["cpu"])
    count = int(parse_quantity(hard["requests.cpu"]) // per_container) + 1
    cpu = str(per_container)
    pod = copy.deepcopy(compliant)
    pod["spec"]["containers"] = [_restricted_container(f"c{i}", cpu=cpu) for i in range(count)]
    status, message, _ = _create(kube, pod)
    assert status == 403, message
    total = per_container * count
    assert f"exceeded quota: {platform['quota']['metadata']['name']}" in message
    assert f"requested: limits.cpu={total},requests.cpu={total}" in message
    assert f"limited: limits.cpu={hard['limits.cpu']},requests.cpu={hard['requests.cpu']}" in message


def test_container_over_the_limit_range_max_is_rejected(
    platform: dict[str, Any], compliant: dict[str, Any], kube: Kube
) -> None:
    pod = copy.deepcopy(compliant)
    pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "64"
    status, message, _ = _create(kube, pod)
    assert status == 403, message
    most = platform["container_limits"]["max"]["cpu"]
    assert f"maximum cpu usage per Container is {most}, but limit is 64" in message


def test_limit_range_fills_in_defaults(
    platform: dict[str, Any], compliant: dict[str, Any], kube: Kube
) -> None:
    pod = copy.deepcopy(compliant)
    del pod["spec"]["containers"][0]["resources"]
    status, message, body = _create(kube, pod, dry_run=True)
    assert status == 201, message
    resources = body["spec"]["containers"][0]["resources"]
    assert resources == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }


def test_unknown_service_account_is_rejected(compliant: dict[str, Any], kube: Kube) -> None:
    pod = copy.deepcopy(compliant)
    pod["spec"]["serviceAccountName"] = "no-such-account"
    status, message, _ = _create(kube, pod)
    assert status == 403, message
    assert 'serviceaccount "no-such-account" not found' in message


def test_default_service_account_token_is_projected(compliant: dict[str, Any], kube: Kube) -> None:
    """The controller manager made `default` in the platform namespace, and ServiceAccount
    admission mounts its token (the estate's own accounts opt out of automounting)."""
    pod = copy.deepcopy(compliant)
    del pod["spec"]["automountServiceAccountToken"]
    pod["spec"]["serviceAccountName"] = "default"
    status, message, body = _create(kube, pod, dry_run=True)
    assert status == 201, message
    volumes = [v for v in body["spec"].get("volumes", []) if v["name"].startswith("kube-api-access-")]
    assert volumes and "projected" in volumes[0]


def test_namespace_lifecycle(kube: Kube, compliant: dict[str, Any]) -> None:
    configmap: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "probe"},
        "data": {"a": "b"},
    }
    missing = copy.deepcopy(configmap)
    missing["metadata"]["namespace"] = "no-such-namespace"
    status, message, _ = _create(kube, missing)
    assert status == 404, message
    assert 'namespaces "no-such-namespace" not found' in message

    # A finalizer on one object holds the namespace in Terminating long enough to see
    # the lifecycle plugin refuse new content.
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lifecycle-probe"}}
    assert kube.create(ns).status == 201
    held = copy.deepcopy(configmap)
    held["metadata"].update(namespace="lifecycle-probe", name="held", finalizers=["shiksha.test/hold"])
    assert kube.create(held).status == 201
    try:
        assert kube.request("DELETE", kube.path(ns)).status == 200
        late = copy.deepcopy(configmap)
        late["metadata"]["namespace"] = "lifecycle-probe"
        status, message, _ = _create(kube, late)
        assert status == 403, message
        assert (
            "unable to create new content in namespace lifecycle-probe because it is being terminated"
            in message
        )
    finally:
        kube.request(
            "PATCH", kube.path(held), {"metadata": {"finalizers": None}}, "application/merge-patch+json"
        )
    deadline = time.monotonic() + 60
    while kube.get(ns).status != 404 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kube.get(ns).status == 404, "the namespace controller did not finish deleting lifecycle-probe"
