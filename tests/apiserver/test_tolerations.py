"""The gate and the real kube-apiserver agree on every toleration of tests/config/tolerations.py.

Each toleration goes, as the user wrote it, into a copy of the estate's api Deployment sent
with a dry-run server-side apply: the server's verdict. The gate's verdict is parse_estate
with that toleration under `workloads.api.tolerations`. Where the gate accepts, the
toleration the estate renders from it is sent too and must be admitted. The oracle of the
property test (tests/config/apiserver_rules.py) must give the server's verdict as well."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.kube.pod import _scheduling
from tests.config import apiserver_rules
from tests.config.tolerations import CASES, Case

from .estate import AppliedEstate
from .kube import Kube

pytestmark = [pytest.mark.apiserver, pytest.mark.slow]


@pytest.fixture(scope="module")
def probe(applied: AppliedEstate) -> dict[str, Any]:
    """The estate's api Deployment under another name, so each dry run is a create."""
    (api,) = [d for d in applied.of_kind("Deployment") if d["metadata"]["name"] == "api"]
    deployment = copy.deepcopy(api)
    deployment["metadata"] = {"name": "toleration-probe", "namespace": api["metadata"]["namespace"]}
    return deployment


def _server(kube: Kube, probe: dict[str, Any], toleration: dict[str, Any]) -> tuple[bool, str]:
    """(admitted, the server's message) for the probe carrying this one toleration."""
    deployment = copy.deepcopy(probe)
    deployment["spec"]["template"]["spec"]["tolerations"] = [toleration]
    response = kube.apply(deployment, dry_run=True)
    return response.status < 300, f"{response.status} {response.message}"


def _gate(toleration: dict[str, Any]) -> ConfigError | None:
    try:
        parse_estate({"workloads": {"api": {"tolerations": [toleration]}}})
    except ConfigError as error:
        return error
    return None


def test_the_probe_is_admitted_without_tolerations(kube: Kube, probe: dict[str, Any]) -> None:
    """The control: whatever refuses a case below is its toleration."""
    deployment = copy.deepcopy(probe)
    deployment["spec"]["template"]["spec"].pop("tolerations", None)
    response = kube.apply(deployment, dry_run=True)
    assert response.status < 300, f"dry-run apply of {deployment['metadata']['name']}: {response.message}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gate_and_server_agree(case: Case, kube: Kube, probe: dict[str, Any]) -> None:
    admitted, reply = _server(kube, probe, case.toleration)
    error = _gate(case.toleration)
    oracle = list(apiserver_rules.toleration_problems(case.toleration))
    said = f"dry-run apply with tolerations {[case.toleration]}: the server replied {reply}; gate: {error}"
    assert admitted == (oracle == []), f"{said}; the oracle found {oracle}"
    if case.stricter:
        assert admitted and error is not None, f"{said}; expected the server to admit it ({case.stricter})"
        return
    assert admitted == (error is None), said
    if not admitted:
        assert "spec.template.spec.tolerations[0]" in reply, said
        return
    config = parse_estate({"workloads": {"api": {"tolerations": [case.toleration]}}})
    rendered = _scheduling(config.workloads["api"], {"app": "api"})["tolerations"]
    admitted, reply = _server(kube, probe, rendered[0])
    assert admitted, f"dry-run apply with the estate's rendering {rendered}: the server replied {reply}"
