"""external-secrets-no-plaintext-secret: with secretsSource external in the pack config, a
Secret carrying values is a mandatory violation; the external estate itself passes it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shiksha_policies.catalog import BY_NAME

from tests.secrets_manager.support import external_estate

from .harness import run_rule
from .pack_client import PackProcess

RULE = BY_NAME["external-secrets-no-plaintext-secret"]
SECRET = "kubernetes:core/v1:Secret"
EXTERNAL = {"secretsSource": "external"}


def secret(**sections: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-env"}, **sections}


@pytest.mark.parametrize(
    ("props", "path"),
    [
        (secret(stringData={"DATABASE_URL": "postgresql://u:p@h/db"}), "stringData"),
        (secret(data={"password": "cA=="}), "data"),
    ],
)
def test_a_secret_with_values_is_flagged_when_the_stack_is_external(props: dict[str, Any], path: str) -> None:
    findings = run_rule(RULE, SECRET, props, config=EXTERNAL)
    assert [f.path for f in findings] == [path]
    assert "external" in findings[0].problem


def test_the_same_secret_passes_with_the_default_pulumi_source() -> None:
    props = secret(stringData={"DATABASE_URL": "postgresql://u:p@h/db"})
    assert run_rule(RULE, SECRET, props) == []
    assert run_rule(RULE, SECRET, props, config={"secretsSource": "pulumi"}) == []


def test_a_secret_without_values_and_other_kinds_pass() -> None:
    assert run_rule(RULE, SECRET, secret(type="kubernetes.io/service-account-token"), config=EXTERNAL) == []
    assert run_rule(RULE, SECRET, secret(stringData={}), config=EXTERNAL) == []
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}
    assert run_rule(RULE, "kubernetes:core/v1:ConfigMap", config_map, config=EXTERNAL) == []


def _resources(snapshot: Any) -> list[tuple[str, dict[str, Any], str]]:
    return [
        (r.type, json.loads(json.dumps(r.manifest, default=str)), r.name)
        for r in snapshot.resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    ]


@pytest.mark.slow
def test_the_pack_over_grpc_passes_the_external_estate_and_flags_the_pulumi_one(prod: Any) -> None:
    with PackProcess() as pack:
        pack.configure({RULE.name: EXTERNAL})
        external = [
            d
            for rtype, props, name in _resources(external_estate("vault"))
            for d in pack.analyze(rtype, props, name)
            if d["policy"] == RULE.name
        ]
        assert external == []
        flagged = {
            name
            for rtype, props, name in _resources(prod)
            for d in pack.analyze(rtype, props, name)
            if d["policy"] == RULE.name and d["level"] == "mandatory"
        }
    # Every Secret the pulumi-sourced estate registers carries values.
    assert flagged == {r.name for r in prod.kubernetes_objects() if r.kind == "Secret"}
    assert flagged
