"""The sync, for real: the External Secrets Operator (built from the Go module proxy by
tools/extra/build.sh) runs out of cluster against the test control plane. The program's
ExternalSecrets read from a ClusterSecretStore of the operator's `kubernetes` provider, a
namespace standing in for the secrets manager. The Secrets the pods reference appear with
the keys and the exact values the Pulumi source would have written, owned by their
ExternalSecret, and follow the source when it changes. `make test-extra` runs it."""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.logging.extra import EXTRA_CACHE, extra_binary
from tests.secrets_manager.support import VAULT
from tests.support.ports import free_port
from tests.support.program import Snapshot, run_program

from .controlplane import ControlPlane
from .estate import manifests, wait_for_crds
from .kube import Kube

pytestmark = [pytest.mark.apiserver, pytest.mark.slow, pytest.mark.extra]

NS = "shiksha-eso"
MANAGER = "secrets-manager"
STORE = "shiksha-eso"
# Values with every character a URL or a config line must escape.
# Every secret role the prod estate uses is a value of its own (docs/datastores.md).
VALUES = {
    "postgresAdminPassword": "adm:in\\pw 1",
    "postgresPassword": "pg p@ss/w+rd:%~?#",
    "postgresExporterPassword": 'exp"orter pw',
    "redisPassword": "redis&pw=1 2",
    "redisMonitorPassword": "mön itor #pw",
    "pagerdutyRoutingKey": "pd-routing-0123",
}
OVERRIDES: dict[str, Any] = {
    "shiksha-setu:namespace": {"name": NS},
    # The operator's refresh, shortened so the test sees a rotation.
    "shiksha-setu:secrets": {**VAULT, "storeName": STORE, "refreshInterval": "3s"},
}


def _pulumi_sourced(values: dict[str, str]) -> dict[str, dict[str, str]]:
    """The Secrets the default source writes with these values: what the operator must match."""
    snapshot = run_program("prod", overrides={"shiksha-setu:namespace": {"name": NS}}, secrets=values)
    return {r.name: r.inputs["stringData"] for r in snapshot.kubernetes_objects() if r.kind == "Secret"}


def _referenced(snapshot: Snapshot) -> set[tuple[str, str | None]]:
    refs: set[tuple[str, str | None]] = set()
    for _workload, template in snapshot.pod_templates():
        for container in template["spec"]["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
        for volume in template["spec"].get("volumes", []):
            if "secret" in volume:
                refs.add((volume["secret"]["secretName"], None))
    return refs


def _ok(response: Any) -> None:
    assert response.status < 300, response.message


@pytest.fixture(scope="module")
def operator(kube: Kube, control_plane: ControlPlane) -> Iterator[Snapshot]:
    binary = extra_binary("external-secrets")
    crds = [
        doc
        for path in sorted((EXTRA_CACHE / "bin" / "external-secrets-crds").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    ]
    for crd in crds:
        _ok(kube.apply(crd))
    wait_for_crds(kube, crds)

    # The stand-in secrets manager: one Secret, read by a ServiceAccount allowed nothing else.
    _ok(kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": MANAGER}}))
    _ok(kube.apply(_secret("shiksha-setu", VALUES)))
    _ok(
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "reader", "namespace": MANAGER},
            }
        )
    )
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}
    _ok(
        kube.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "reader", "namespace": MANAGER},
                "rules": [rule],
            }
        )
    )
    _ok(
        kube.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "reader", "namespace": MANAGER},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": MANAGER}],
            }
        )
    )
    token = kube.request(
        "POST",
        f"/api/v1/namespaces/{MANAGER}/serviceaccounts/reader/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
    )
    _ok(token)
    _ok(kube.apply(_secret("reader-token", {"token": token.body["status"]["token"]})))

    snapshot = run_program("prod", overrides=OVERRIDES, secrets={})
    objects = manifests(snapshot)
    [store] = [o for o in objects if o["kind"] == "ClusterSecretStore"]
    ca = (control_plane.pki / "ca.crt").read_bytes()
    # The program's store, its backend swapped for the stand-in (name and conditions kept).
    store["spec"]["provider"] = {
        "kubernetes": {
            "remoteNamespace": MANAGER,
            "server": {"url": control_plane.server, "caBundle": base64.b64encode(ca).decode()},
            "auth": {
                "token": {"bearerToken": {"name": "reader-token", "key": "token", "namespace": MANAGER}}
            },
        }
    }
    for obj in objects:
        if obj["kind"] in ("Namespace", "ClusterSecretStore", "ExternalSecret"):
            _ok(kube.apply(obj))

    log = control_plane.workdir / "external-secrets.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--metrics-addr=127.0.0.1:{free_port()}",
                "--enable-cluster-external-secret-reconciler=false",
                "--enable-cluster-push-secret-reconciler=false",
                "--enable-push-secret-reconciler=false",
                "--zap-time-encoding=iso8601",
            ],
            env={**os.environ, "KUBECONFIG": str(control_plane.kubeconfig)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield snapshot
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(Path(log).read_text()[-4000:])


def _secret(name: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": MANAGER},
        "type": "Opaque",
        "stringData": values,
    }


def _synced(kube: Kube) -> dict[str, dict[str, Any]]:
    return {s["metadata"]["name"]: s for s in kube.items(f"/api/v1/namespaces/{NS}/secrets")}


def _decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}


def _wait_for(
    kube: Kube, expected: dict[str, dict[str, str]], timeout: float = 120
) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    synced: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        synced = _synced(kube)
        if all(name in synced and _decoded(synced[name]) == values for name, values in expected.items()):
            return synced
        time.sleep(0.5)
    got = {name: _decoded(s) for name, s in synced.items()}
    raise AssertionError(f"after {timeout} s the operator wrote {sorted(got)}; expected {sorted(expected)}")


def test_the_operator_writes_the_secrets_the_pods_reference(kube: Kube, operator: Snapshot) -> None:
    expected = _pulumi_sourced(VALUES)
    assert expected, "the estate consumes Secrets"
    synced = _wait_for(kube, expected)
    # Byte for byte what the Pulumi source writes, URL-encoded passwords included.
    assert {name: _decoded(synced[name]) for name in expected} == expected
    for name, key in _referenced(operator):
        assert name in synced, name
        if key is not None:
            assert key in synced[name]["data"], (name, key)
    for name in expected:
        [owner] = synced[name]["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["controller"]) == ("ExternalSecret", name, True)


def test_the_secrets_follow_the_source(kube: Kube, operator: Snapshot) -> None:
    before = _pulumi_sourced(VALUES)
    _wait_for(kube, before)
    # The application role's password: in the workloads' URLs and the roles script's key.
    rotated = {**VALUES, "postgresPassword": "rotated/pg p@ss 2"}
    _ok(kube.apply(_secret("shiksha-setu", rotated)))
    expected = _pulumi_sourced(rotated)
    changed = {name for name in expected if expected[name] != before[name]}
    assert changed == {"api-env", "worker-env", "postgres-credentials"}, changed
    synced = _wait_for(kube, expected, timeout=60)
    for name in ("api-env", "worker-env"):
        assert "shiksha:rotated%2Fpg%20p%40ss%202@" in _decoded(synced[name])["DATABASE_URL"], name
    credentials = _decoded(synced["postgres-credentials"])
    assert credentials["app-password"] == "rotated/pg p@ss 2"
    # The other roles keep their own values: one rotation touches one role.
    assert credentials["admin-password"] == VALUES["postgresAdminPassword"]
    assert credentials["exporter-password"] == VALUES["postgresExporterPassword"]
