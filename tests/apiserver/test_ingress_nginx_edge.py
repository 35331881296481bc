"""The ingress-nginx edge with Cache-Control by path class, sent to the real API server in a
namespace of its own: every Ingress and headers ConfigMap is accepted by server-side apply,
and the stored Ingresses name the ConfigMaps that exist. The controller itself cannot run
here, so what it does with the headers is its documentation's word (docs/cdn.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import run_program

from .estate import apply_all, manifests
from .kube import Kube

pytestmark = [pytest.mark.apiserver, pytest.mark.slow]

NS = "shiksha-inx"
A = "nginx.ingress.kubernetes.io/"


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    snapshot = run_program(
        "prod", overrides={"ingress": {"mode": "ingress-nginx"}, "shiksha-setu:namespace": {"name": NS}}
    )
    return manifests(snapshot)


def test_the_edge_objects_are_accepted(kube: Kube, objects: list[dict[str, Any]]) -> None:
    responses = apply_all(kube, objects)
    failed = {ident: r.message for ident, r in responses.items() if r.status >= 300}
    assert failed == {}
    ingresses = {
        i["metadata"]["name"]: i for i in kube.items(f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses")
    }
    assert {"shiksha-setu", "shiksha-setu-revalidate", "shiksha-setu-immutable"} <= set(ingresses)
    config_maps = {c["metadata"]["name"]: c for c in kube.items(f"/api/v1/namespaces/{NS}/configmaps")}
    for name, ingress in ingresses.items():
        namespace, cm = ingress["metadata"]["annotations"][A + "custom-headers"].split("/")
        assert namespace == NS, name
        assert "Cache-Control" in config_maps[cm]["data"], (name, cm)
    paths = [p["path"] for p in ingresses["shiksha-setu-immutable"]["spec"]["rules"][0]["http"]["paths"]]
    assert paths == ["/assets/"]
