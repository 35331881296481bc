"""LoggingStack: the collector DaemonSet, its namespace, its NetworkPolicies and its secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.config.errors import ConfigError
from components.kube.log_collector import HOST_PATHS
from tests.support.program import Snapshot, run_program

from .support import LOGGING, LOGGING_PASSWORD, NS, logging_estate, logging_objects

ROOT = Path(__file__).resolve().parents[2]
EXEMPTIONS = ROOT / "policies" / "exemptions" / "log-collector.json"


@pytest.fixture(scope="module")
def objs() -> dict[tuple[str, str], dict[str, Any]]:
    return logging_objects(logging_estate())


def test_logging_is_off_by_default_and_the_stack_files_keep_it_off(estate: Snapshot) -> None:
    assert logging_objects(estate) == {}
    for stack in ("prod", "local"):
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert "shiksha-setu:logging" not in config


def test_the_objects_of_the_stack(objs: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert sorted(objs) == [
        ("ConfigMap", "log-collector"),
        ("DaemonSet", "log-collector"),
        ("Namespace", NS),
        ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "log-collector-egress"),
        ("Secret", "log-collector-credentials"),
        ("ServiceAccount", "log-collector"),
    ]
    for obj in objs.values():
        kubernetes_validate.validate(obj, "1.34.0", strict=True)


def test_the_namespace_enforces_only_the_weakest_level_that_admits_a_host_path(
    objs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    labels = objs[("Namespace", NS)]["metadata"]["labels"]
    psa = {k.removeprefix("pod-security.kubernetes.io/"): v for k, v in labels.items() if "pod-security" in k}
    assert psa == {
        "enforce": "privileged",
        "enforce-version": "latest",
        "audit": "baseline",
        "audit-version": "latest",
        "warn": "baseline",
        "warn-version": "latest",
    }


def test_the_collector_pod_is_hardened_and_mounts_only_the_log_directory_read_only(
    objs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    pod = objs[("DaemonSet", "log-collector")]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert "hostNetwork" not in pod and "hostPID" not in pod
    host_paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert host_paths == set(HOST_PATHS) == {"/var/log/pods"}
    [container] = pod["containers"]
    assert all(m["readOnly"] is True for m in container["volumeMounts"])
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert container["image"] == "docker.io/otel/opentelemetry-collector-contrib:0.165.0"
    env = {e["name"]: e for e in container["env"]}
    assert env["LOKI_BASIC_AUTH"]["valueFrom"] == {
        "secretKeyRef": {"name": "log-collector-credentials", "key": "LOKI_BASIC_AUTH"}
    }


def test_network_policies_allow_only_dns_and_the_endpoint(
    objs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    deny = objs[("NetworkPolicy", "default-deny")]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    egress = objs[("NetworkPolicy", "log-collector-egress")]["spec"]
    assert egress["policyTypes"] == ["Egress"]
    rules = egress["egress"]
    assert rules[1] == {
        "to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert [p["port"] for p in rules[0]["ports"]] == [53, 53]
    assert rules[0]["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}


def test_the_credential_stays_a_secret_and_the_config_holds_none(
    objs: dict[tuple[str, str], dict[str, Any]],
) -> None:
    snapshot = logging_estate()
    [secret] = [
        r
        for r in snapshot.kubernetes_objects()
        if r.kind == "Secret" and r.name == "log-collector-credentials"
    ]
    assert secret.secret_paths == ["stringData"]
    # HTTP Basic of the configured user and the password.
    assert secret.inputs["stringData"] == {"LOKI_BASIC_AUTH": "MTIzNDU2Omxva2ktdGVzdC1TZWNyZXQtM2U4ZA=="}
    everything_else = json.dumps([o for k, o in objs.items() if k[0] != "Secret"])
    assert LOGGING_PASSWORD not in everything_else and "MTIzNDU2" not in everything_else
    config = yaml.safe_load(objs[("ConfigMap", "log-collector")]["data"]["config.yaml"])
    assert config["exporters"]["otlp_http"]["headers"] == {
        "Authorization": "Basic ${env:LOKI_BASIC_AUTH}",
        "X-Scope-OrgID": "shiksha-setu",
    }
    assert config["receivers"]["file_log"]["include"] == ["/var/log/pods/shiksha-setu_*/*/*.log"]
    assert config["receivers"]["file_log"]["exclude"] == [f"/var/log/pods/{NS}_*/*/*.log"]


def test_the_written_exemption_names_each_host_path_and_why() -> None:
    exemptions = json.loads(EXEMPTIONS.read_text())
    host_path = exemptions["pss-baseline-host-path"]["exemptions"]
    assert [e["resource"] for e in host_path] == ["log-collector"]
    for path in HOST_PATHS:
        assert path in host_path[0]["reason"]
        assert "read-only" in host_path[0]["reason"]


def _error(logging: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        run_program("prod", overrides={"shiksha-setu:logging": logging})
    return str(caught.value)


@pytest.mark.parametrize(
    ("logging", "expected"),
    [
        ({"enabled": True}, "shiksha-setu:logging: endpoint: required when logging is enabled"),
        (
            {**LOGGING, "endpoint": "http://loki.logging:3100/otlp/v1/logs"},
            "expected https:// (set allowPlainHttp: true",
        ),
        ({**LOGGING, "endpointCidrs": []}, "shiksha-setu:logging: endpointCidrs: required"),
        (
            {**LOGGING, "endpointCidrs": ["10.0.0.1/8"]},
            "shiksha-setu:logging.endpointCidrs[0]: got '10.0.0.1/8'",
        ),
        ({**LOGGING, "endpoint": "https://u:p@loki.example.org/otlp"}, "shiksha-setu:logging.endpoint: got"),
        (
            {**LOGGING, "endpoint": "https://loki.example.org/${env:HOME}"},
            "shiksha-setu:logging.endpoint: got",
        ),
        ({**LOGGING, "username": "a:b"}, "shiksha-setu:logging.username: got 'a:b'"),
        ({**LOGGING, "tenant": "a b"}, "shiksha-setu:logging.tenant: got 'a b'"),
        ({**LOGGING, "namespaces": ["Bad_NS"]}, "shiksha-setu:logging.namespaces[0]: got 'Bad_NS'"),
    ],
)
def test_bad_logging_config_names_the_key(logging: dict[str, Any], expected: str) -> None:
    assert expected in _error(logging)


def test_the_password_is_required_only_with_a_user() -> None:
    with pytest.raises(ConfigError, match="shiksha-setu:loggingPassword: required secret is missing"):
        run_program("prod", overrides={"shiksha-setu:logging": LOGGING})
    without_user = {k: v for k, v in LOGGING.items() if k != "username"}
    snapshot = run_program("prod", overrides={"shiksha-setu:logging": without_user})
    objs = logging_objects(snapshot)
    assert ("Secret", "log-collector-credentials") not in objs
    config = yaml.safe_load(objs[("ConfigMap", "log-collector")]["data"]["config.yaml"])
    assert "Authorization" not in config["exporters"]["otlp_http"]["headers"]


def test_both_namespaces_keep_their_urns_and_labels_from_the_one_builder() -> None:
    """The platform's and the LoggingStack's Namespace come from components/kube/namespace.py;
    their URNs and labels are written out here as they were before the two shared it."""
    namespaces = {
        r.urn: r.inputs["metadata"]
        for r in logging_estate().resources
        if r.type == "kubernetes:core/v1:Namespace"
    }
    common = {"app.kubernetes.io/part-of": "shiksha-setu", "app.kubernetes.io/managed-by": "pulumi"}

    def psa(enforce: str, audit_and_warn: str) -> dict[str, str]:
        levels = {"enforce": enforce, "audit": audit_and_warn, "warn": audit_and_warn}
        return {f"pod-security.kubernetes.io/{m}": level for m, level in levels.items()} | {
            f"pod-security.kubernetes.io/{m}-version": "latest" for m in levels
        }

    stack = "urn:pulumi:prod::shiksha-setu::shiksha:index:"
    assert namespaces == {
        f"{stack}PlatformNamespace$kubernetes:core/v1:Namespace::platform": {
            "name": "shiksha-setu",
            "labels": common | psa("restricted", "restricted"),
        },
        f"{stack}LoggingStack$kubernetes:core/v1:Namespace::{NS}": {
            "name": NS,
            "labels": common | psa("privileged", "baseline"),
        },
    }
