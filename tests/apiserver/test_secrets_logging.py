"""The External Secrets objects (with the operator's CRDs installed) and the LoggingStack,
sent to the real API server: accepted, with Pod Security judging the collector as designed.
Their own namespaces, so the prod estate the other tests judge is left as it is."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.secrets_manager.support import LOGGING, VAULT
from tests.support.program import run_program

from .estate import apply_all, crds_for, manifests, wait_for_crds
from .kube import Kube

pytestmark = [pytest.mark.apiserver, pytest.mark.slow]

NS = "shiksha-ext"
LOG_NS = "shiksha-ext-logging"


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    snapshot = run_program(
        "prod",
        overrides={
            "shiksha-setu:namespace": {"name": NS},
            "shiksha-setu:secrets": {**VAULT, "storeName": "shiksha-ext"},
            "shiksha-setu:logging": {**LOGGING, "namespace": LOG_NS},
        },
        secrets={},
    )
    return manifests(snapshot)


@pytest.fixture(scope="module")
def responses(kube: Kube, objects: list[dict[str, Any]]) -> dict[str, Any]:
    # The operator's CRDs (tests/secrets_manager/data) and the Gateway API's, as a cluster's
    # operators install them before this program runs.
    crds = crds_for(objects)
    assert {"ExternalSecret", "ClusterSecretStore"} <= {c["spec"]["names"]["kind"] for c in crds}
    for crd in crds:
        response = kube.apply(crd)
        assert response.status < 300, response.message
    wait_for_crds(kube, crds)
    return apply_all(kube, objects)


def test_every_object_is_accepted(responses: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    failed = {ident: r.message for ident, r in responses.items() if r.status >= 300}
    assert failed == {}
    kinds = {o["kind"] for o in objects}
    assert {"ExternalSecret", "ClusterSecretStore", "DaemonSet"} <= kinds
    assert "Secret" not in kinds


def test_only_the_collector_draws_the_baseline_warning_of_its_namespace(responses: dict[str, Any]) -> None:
    warned = {ident: r.warnings for ident, r in responses.items() if r.warnings}
    assert list(warned) == [f"DaemonSet {LOG_NS}/log-collector"]
    [warning] = warned[f"DaemonSet {LOG_NS}/log-collector"]
    assert 'would violate PodSecurity "baseline:latest"' in warning
    assert "hostPath volumes (volume" in warning


def test_the_server_enforces_the_operators_schema(
    kube: Kube, objects: list[dict[str, Any]], responses: Any
) -> None:
    [external] = [o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "api-env"]
    broken = copy.deepcopy(external)
    broken["spec"]["target"]["creationPolicy"] = "Adopt"
    response = kube.apply(broken, dry_run=True)
    assert response.status == 422, response.message
    assert "spec.target.creationPolicy" in response.message


def _collector_pod(objects: list[dict[str, Any]], namespace: str) -> dict[str, Any]:
    [daemonset] = [o for o in objects if o["kind"] == "DaemonSet"]
    template = daemonset["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "collector-probe",
            "namespace": namespace,
            "labels": template["metadata"]["labels"],
        },
        "spec": template["spec"],
    }


def test_the_collector_pod_is_admitted_in_its_namespace_and_refused_in_the_platform_one(
    kube: Kube, objects: list[dict[str, Any]], responses: Any
) -> None:
    admitted = kube.apply(_collector_pod(objects, LOG_NS), dry_run=True)
    assert admitted.status < 300, admitted.message
    probe = _collector_pod(objects, NS)
    # The ServiceAccount admission (before PodSecurity) would refuse it first for a missing
    # log-collector account: the platform namespace's default one leaves PodSecurity to answer.
    probe["spec"].pop("serviceAccountName", None)
    refused = kube.apply(probe, dry_run=True)
    assert refused.status == 403
    assert 'violates PodSecurity "restricted:latest"' in refused.message
    # Restricted names the host paths among its disallowed volume types.
    assert 'restricted volume types (volume "host-' in refused.message
