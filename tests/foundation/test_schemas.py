"""Every generated Kubernetes object validates against the official OpenAPI schemas, strictly."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.support.program import Snapshot

# The Kubernetes minor the estate targets; kubernetes-validate ships its schemas offline.
KUBERNETES_VERSION = "1.34.0"
# Custom resources are not in the core schemas; tests/ingress validates the Gateway API (and its
# extension) objects against the CRD schemas shipped there. Any other unknown group fails below.
CRD_GROUPS = {"gateway.networking.k8s.io", "gateway.envoyproxy.io"}


def _validate(manifest: dict) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_every_object_validates_strictly(estate: Snapshot) -> None:
    objects = estate.kubernetes_objects()
    assert len(objects) > 30
    failures = []
    for resource in objects:
        if resource.manifest["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        try:
            _validate(resource.manifest)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{resource.kind}/{resource.name}: {error.message} at {list(error.path)}")
    assert failures == []


def test_the_validator_catches_a_mistake(prod: Snapshot) -> None:
    # Guards the test above against validating nothing: a typo'd field must fail.
    manifest = copy.deepcopy(prod.one("Deployment", "api").manifest)
    manifest["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(manifest)
