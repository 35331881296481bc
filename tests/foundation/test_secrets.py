"""Secrets stay Pulumi secrets from config to cluster: never plaintext anywhere else."""

from __future__ import annotations

import json

from components.resources.secret_objects import NOT_RENDERED, SECRET_KEYS
from tests.support.program import TEST_SECRETS, Snapshot, run_program, stack_config


def _contains_secret(value: object) -> list[str]:
    text = json.dumps(value, default=str)
    return [key for key, secret in TEST_SECRETS.items() if secret in text]


def test_secret_values_only_inside_kubernetes_secrets(estate: Snapshot) -> None:
    seen_in_secrets = set()
    for resource in estate.resources:
        found = _contains_secret(resource.inputs)
        if resource.kind == "Secret":
            seen_in_secrets.update(found)
            if found:
                assert resource.secret_paths == ["stringData"], resource.name
        else:
            assert found == [], f"{resource.type} {resource.name} carries {found} in plaintext"
    if estate.stack == "prod":
        # The test would pass vacuously if no secret reached the cluster at all.
        assert {"postgresPassword", "redisPassword"} <= seen_in_secrets


def _secret_values(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    return {r.name: r.inputs["stringData"] for r in snapshot.kubernetes_objects() if r.kind == "Secret"}


def test_a_render_target_writes_secret_keys_but_not_their_values(local: Snapshot, prod: Snapshot) -> None:
    """The provider writes rendered Secrets base64-encoded into plain files, and warns about
    any Secret data, so a rendered Secret names its keys and carries no data at all."""
    rendered = {r.name: r.inputs for r in local.kubernetes_objects() if r.kind == "Secret"}
    assert set(rendered) == set(_secret_values(prod))
    for name, inputs in rendered.items():
        assert "stringData" not in inputs and "data" not in inputs, name
        annotations = inputs["metadata"]["annotations"]
        assert annotations[SECRET_KEYS].split(",") == sorted(_secret_values(prod)[name]), name
        assert "renderSecretValues" in annotations[NOT_RENDERED], name


def test_rendering_secret_values_is_an_explicit_opt_in() -> None:
    kubernetes = {**stack_config("local")["shiksha-setu:kubernetes"], "renderSecretValues": True}
    snapshot = run_program("local", overrides={"shiksha-setu:kubernetes": kubernetes})
    secrets = [r for r in snapshot.kubernetes_objects() if r.kind == "Secret"]
    assert {"postgresPassword", "redisPassword"} <= {k for r in secrets for k in _contains_secret(r.inputs)}
    assert all(r.secret_paths == ["stringData"] for r in secrets)


def test_workloads_reference_secrets_never_embed_them(estate: Snapshot) -> None:
    for _workload, template in estate.pod_templates():
        for container in template["spec"]["containers"]:
            for env in container["env"]:
                if env["name"].endswith(("_URL", "PASSWORD")) and "value" not in env:
                    assert "secretKeyRef" in env["valueFrom"]


def test_credentials_follow_declared_connections(prod: Snapshot) -> None:
    def secret_keys(name: str) -> set[str]:
        return set(prod.one("Secret", f"{name}-env").inputs["stringData"])

    broker = {"REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    assert secret_keys("api") == {"DATABASE_URL", *broker}
    assert secret_keys("beat") == broker
    assert not [s for s in prod.kubernetes_objects() if s.kind == "Secret" and s.name == "frontend-env"]


def test_stack_outputs_hold_no_secret(estate: Snapshot) -> None:
    assert estate.outputs["namespace"] == "shiksha-setu"
    assert _contains_secret(estate.outputs) == []
    assert estate.output_secret_paths == []
