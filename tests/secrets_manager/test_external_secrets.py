"""secrets.source external: ExternalSecrets instead of Secrets with values, validated against
the operator's own CRD schemas; the workloads reference the same Secrets either way."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from components.config.errors import ConfigError
from components.values.secret_text import (
    SecretRef,
    basic_auth,
    pgpass_escaped,
    secret,
    sha256_of,
    text,
    url_encoded,
)
from tests.cdn.test_gateway_cdn import CDN
from tests.support.program import TEST_SECRETS, Snapshot, run_program

from .support import BACKENDS, DATASTORES, VAULT, external_estate, objects, validate_eso

NS = "shiksha-setu"


def secret_refs(snapshot: Snapshot) -> set[tuple[str, str]]:
    """(Secret name, key) of every secretKeyRef and the Secret of every secret volume."""
    refs = set()
    for _workload, template in snapshot.pod_templates():
        spec = template["spec"]
        for container in spec["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                refs.add((volume["secret"]["secretName"], "*"))
    return refs


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_external_estate_registers_no_secret_and_one_external_secret_per_former_secret(
    backend: str, prod: Snapshot
) -> None:
    external = external_estate(backend)
    assert objects(external, "Secret") == {}
    former = {name: set(o["stringData"]) for name, o in objects(prod, "Secret").items()}
    assert former, "the pulumi-sourced estate has Secrets to replace"
    declared = objects(external, "ExternalSecret")
    assert set(declared) == set(former)
    for name, obj in declared.items():
        target = obj["spec"]["target"]
        assert obj["metadata"]["namespace"] == NS
        assert target["name"] == name
        # The operator's conventions: it owns the Secret, keeps it if the remote value vanishes.
        assert (target["creationPolicy"], target["deletionPolicy"]) == ("Owner", "Retain")
        assert set(target["template"]["data"]) == former[name], name
        assert obj["spec"]["refreshInterval"] == "1h"
        assert obj["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "shiksha-setu"}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_workloads_reference_the_same_secrets_and_keys_with_either_source(
    backend: str, prod: Snapshot
) -> None:
    assert secret_refs(external_estate(backend)) == secret_refs(prod)
    assert secret_refs(prod)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_object_validates_against_the_operators_crd_schema(backend: str) -> None:
    external = external_estate(backend, logging=True)
    checked = [
        *objects(external, "ExternalSecret").values(),
        *objects(external, "ClusterSecretStore").values(),
    ]
    assert len(checked) > 2
    for obj in checked:
        validate_eso(obj)


def test_the_schema_check_is_strict() -> None:
    [store] = objects(external_estate("vault"), "ClusterSecretStore").values()
    broken = json.loads(json.dumps(store))
    broken["spec"]["provider"]["vault"]["serverr"] = broken["spec"]["provider"]["vault"].pop("server")
    with pytest.raises(jsonschema.ValidationError):
        validate_eso(broken)


def test_the_store_serves_only_the_consuming_namespaces_and_names_the_backend() -> None:
    [vault] = objects(external_estate("vault", logging=True), "ClusterSecretStore").values()
    assert vault["spec"]["conditions"] == [{"namespaces": ["shiksha-setu", "shiksha-setu-logging"]}]
    assert vault["spec"]["provider"] == {
        "vault": {
            "server": "https://vault.example.org:8200",
            "path": "secret",
            "version": "v2",
            "auth": {
                "kubernetes": {
                    "mountPath": "kubernetes",
                    "role": "shiksha-setu",
                    "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"},
                }
            },
        }
    }
    [aws] = objects(external_estate("aws"), "ClusterSecretStore").values()
    assert aws["spec"]["provider"]["aws"] == {
        "service": "SecretsManager",
        "region": "ap-south-1",
        "role": "arn:aws:iam::123456789012:role/shiksha-setu-secrets",
        "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}},
    }


def test_external_secrets_fetch_only_what_their_secret_uses() -> None:
    declared = objects(external_estate("vault", logging=True), "ExternalSecret")
    fetched = {name: [d["secretKey"] for d in o["spec"]["data"]] for name, o in declared.items()}
    assert fetched["api-env"] == ["postgresPassword", "redisPassword"]
    assert fetched["beat-env"] == ["redisPassword"]
    # The broker's ACL file holds the hashes of its two users, each its own secret.
    assert fetched["redis-auth"] == ["redisMonitorPassword", "redisPassword"]
    assert fetched["redis-exporter-env"] == ["redisMonitorPassword"]
    assert fetched["postgres-exporter-env"] == ["postgresExporterPassword"]
    assert fetched["log-collector-credentials"] == ["loggingPassword"]
    refs = {d["secretKey"]: d["remoteRef"] for d in declared["postgres-credentials"]["spec"]["data"]}
    assert refs == {
        key: {"key": "shiksha-setu", "property": key}
        for key in ("postgresAdminPassword", "postgresExporterPassword", "postgresPassword")
    }


def test_every_datastore_role_stays_a_separate_secret() -> None:
    overrides = {"shiksha-setu:secrets": VAULT, **DATASTORES}
    declared = objects(run_program("prod", overrides=overrides, secrets={}), "ExternalSecret")
    fetched = {name: [d["secretKey"] for d in o["spec"]["data"]] for name, o in declared.items()}
    assert fetched["postgres-ro-credentials"] == ["postgresReplicationPassword"]
    assert fetched["redis-cache-auth"] == ["redisCachePassword"]
    assert fetched["api-env"] == ["postgresPassword", "redisCachePassword", "redisPassword"]
    templates = declared["postgres-ro-credentials"]["spec"]["target"]["template"]["data"]
    assert templates["pgpass"] == (
        "postgres:5432:replication:replicator:"
        '{{ (.postgresReplicationPassword | replace "\\\\" "\\\\\\\\" | replace ":" "\\\\:") }}\n'
    )


def test_the_cdn_value_comes_from_the_manager_too() -> None:
    overrides = {"shiksha-setu:secrets": VAULT, "shiksha-setu:cdn": CDN}
    snapshot = run_program("prod", overrides=overrides, secrets={})
    assert objects(snapshot, "Secret") == {}
    [cdn] = [
        o
        for o in objects(snapshot, "ExternalSecret").values()
        if o["spec"]["data"][0]["secretKey"] == "cdnOriginAuth"
    ]
    assert list(cdn["spec"]["target"]["template"]["data"].values()) == ["{{ .cdnOriginAuth }}"]
    message = _config_error(
        {"shiksha-setu:secrets": VAULT, "shiksha-setu:cdn": CDN}, secrets={"cdnOriginAuth": "x" * 20}
    )
    assert "shiksha-setu:cdnOriginAuth: is set although secrets.source is 'external'" in message


def test_no_secret_value_reaches_program_state() -> None:
    external = external_estate("vault", logging=True)
    text_of_everything = json.dumps([r.inputs for r in external.resources], default=str)
    for value in TEST_SECRETS.values():
        assert value not in text_of_everything
    assert all(r.secret_paths == [] for r in external.resources)


def test_remote_refs_move_single_values() -> None:
    config = {**VAULT, "remoteRefs": {"pagerdutyRoutingKey": {"key": "oncall/pagerduty", "property": "key"}}}
    snapshot = run_program("prod", overrides={"shiksha-setu:secrets": config}, secrets={})
    declared = objects(snapshot, "ExternalSecret")
    assert declared["alertmanager-pagerduty"]["spec"]["data"] == [
        {"secretKey": "pagerdutyRoutingKey", "remoteRef": {"key": "oncall/pagerduty", "property": "key"}}
    ]


# The recipes both sources render: the Pulumi side here, the operator's side in the sync proof.
@pytest.mark.parametrize(
    ("recipe", "values", "rendered", "template"),
    [
        (secret("redisPassword"), {"redisPassword": "p w"}, "p w", "{{ .redisPassword }}"),
        (
            text("postgresql://u:", url_encoded("postgresPassword"), "@db:5432/x"),
            {"postgresPassword": "a b+c/@:%~"},
            "postgresql://u:a%20b%2Bc%2F%40%3A%25~@db:5432/x",
            'postgresql://u:{{ (.postgresPassword | urlquery | replace "+" "%20") }}@db:5432/x',
        ),
        (
            text("{{literal}} ", SecretRef("k")),
            {"k": "v"},
            "{{literal}} v",
            '{{ "{{literal}} " }}{{ .k }}',
        ),
        (basic_auth("123", "loggingPassword"), {"loggingPassword": "pw"}, "MTIzOnB3", None),
        (
            text("h:1:replication:r:", pgpass_escaped("k"), "\n"),
            {"k": "a\\:b"},
            "h:1:replication:r:a\\\\\\:b\n",
            'h:1:replication:r:{{ (.k | replace "\\\\" "\\\\\\\\" | replace ":" "\\\\:") }}\n',
        ),
        (
            text("#", sha256_of("k")),
            {"k": "ü"},
            # sha256sum of "ü" (UTF-8 c3 bc), as `printf 'ü' | sha256sum` prints it.
            "#607474ca475a9724d7360aba71a56d5df77e61350e3f724cfa1f46e857e2d85f",
            "#{{ (.k | sha256sum) }}",
        ),
    ],
)
def test_recipes_render_values_and_operator_templates(
    recipe: Any, values: dict[str, str], rendered: str, template: str | None
) -> None:
    assert recipe.render(values) == rendered
    if template is not None:
        assert recipe.go_template() == template


def _config_error(
    overrides: dict[str, Any], secrets: dict[str, str] | None = None, stack: str = "prod"
) -> str:
    with pytest.raises(ConfigError) as caught:
        run_program(stack, overrides=overrides, secrets={} if secrets is None else secrets)
    return str(caught.value)


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        ({"source": "external"}, "shiksha-setu:secrets: backend: required when source is 'external'"),
        (
            {"source": "external", "backend": "aws"},
            "shiksha-setu:secrets: aws: required when backend is 'aws'",
        ),
        (
            {**VAULT, "vault": {"server": "http://vault.example.org", "role": "r"}},
            "shiksha-setu:secrets.vault.server: got 'http://vault.example.org': expected an https:// URL",
        ),
        (
            {**VAULT, "refreshInterval": "0"},
            "shiksha-setu:secrets.refreshInterval: got '0': expected a positive",
        ),
        (
            {**VAULT, "remoteKey": "a b"},
            "shiksha-setu:secrets.remoteKey: got 'a b': expected a secrets-manager key",
        ),
        (
            {**VAULT, "remoteRefs": {"adminPassword": {"key": "k", "property": "p"}}},
            "remoteRefs.adminPassword: not a secret the workloads consume",
        ),
        ({**VAULT, "source": "vault"}, "shiksha-setu:secrets.source: got 'vault'"),
    ],
)
def test_bad_secrets_config_names_the_key(secrets: dict[str, Any], expected: str) -> None:
    assert expected in _config_error({"shiksha-setu:secrets": secrets})


def test_a_secret_left_in_pulumi_config_is_refused_with_an_external_source() -> None:
    message = _config_error({"shiksha-setu:secrets": VAULT}, secrets={"postgresPassword": "x"})
    assert "shiksha-setu:postgresPassword: is set although secrets.source is 'external'" in message
    assert "pulumi config rm postgresPassword" in message


def test_the_docker_host_target_refuses_an_external_source() -> None:
    message = _config_error(
        {"shiksha-setu:secrets": VAULT, "shiksha-setu:target": "docker-host"}, stack="local"
    )
    assert "shiksha-setu:secrets.source: needs target kubernetes" in message


def test_the_pulumi_source_still_requires_its_secrets() -> None:
    message = _config_error({}, secrets={})
    assert "shiksha-setu:postgresPassword: required secret is missing" in message
