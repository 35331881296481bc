"""The NetworkPolicies ZeroTrustNetwork registers, read from the real program under mocks."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.plan.estate import plan
from components.plan.network import unreachable
from components.values.numbers import whole_numbers
from tests.support.program import Recorded, Snapshot, run_program

KUBERNETES_VERSION = "1.34.0"
NS = "shiksha-setu"
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]


def policies(snapshot: Snapshot) -> dict[str, Recorded]:
    return {
        r.inputs["metadata"]["name"]: r for r in snapshot.kubernetes_objects() if r.kind == "NetworkPolicy"
    }


def spec(snapshot: Snapshot, name: str) -> dict[str, Any]:
    return whole_numbers(policies(snapshot)[name].inputs["spec"])


def selecting(snapshot: Snapshot, workload: str) -> dict[str, Any]:
    """The policy whose podSelector picks `workload`'s pods (by its name label)."""
    found = [
        whole_numbers(r.inputs["spec"])
        for r in policies(snapshot).values()
        if r.inputs["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == workload
    ]
    assert len(found) == 1, workload
    return found[0]


def test_every_policy_is_labelled_and_owned_by_the_component(prod: Snapshot) -> None:
    found = policies(prod)
    assert len(found) >= 2 + 7
    for name, policy in found.items():
        labels = policy.inputs["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "shiksha-setu", name
        assert labels["app.kubernetes.io/component"], name
        assert policy.inputs["metadata"]["namespace"] == NS
        assert "shiksha:index:ZeroTrustNetwork" in policy.parent_types
    assert (
        found["default-deny-all"].inputs["metadata"]["labels"]["app.kubernetes.io/component"]
        == "network-baseline"
    )
    assert found["allow-dns-egress"].inputs["metadata"]["labels"]["app.kubernetes.io/component"] == "dns"


def test_policies_carry_the_workloads_component(prod: Snapshot) -> None:
    components = {
        "postgres": "database",
        "redis": "cache",
        "vllm": "inference",
        "api": "api",
        "worker": "worker",
    }
    for workload, component in components.items():
        [policy] = [
            r
            for r in policies(prod).values()
            if r.inputs["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
            == workload
        ]
        assert policy.inputs["metadata"]["labels"]["app.kubernetes.io/component"] == component


def test_default_deny_covers_every_pod_both_ways(prod: Snapshot) -> None:
    # Both directions listed with no rules: everything denied (the canonical form the API
    # server stores, so a re-apply changes nothing).
    assert spec(prod, "default-deny-all") == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_one_central_dns_policy_to_cluster_dns_only(prod: Snapshot) -> None:
    dns = spec(prod, "allow-dns-egress")
    assert dns["podSelector"] == {}
    assert dns["policyTypes"] == ["Egress"]
    [rule] = dns["egress"]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]
    # Nobody else mentions port 53: DNS is allowed in exactly one place.
    others = [
        n
        for n, r in policies(prod).items()
        if n != "allow-dns-egress" and "53," in str(whole_numbers(r.inputs))
    ]
    assert others == []


def test_datastores_have_no_egress_of_their_own(prod: Snapshot) -> None:
    for workload in ("postgres", "redis", "vllm"):
        policy = selecting(prod, workload)
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        assert policy.get("egress", []) == []


def test_external_egress_is_public_https_for_declared_workloads_only(prod: Snapshot) -> None:
    block = {"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE}}
    with_internet = []
    for name, policy in policies(prod).items():
        for rule in whole_numbers(policy.inputs["spec"]).get("egress", []):
            if block in rule["to"]:
                assert rule["to"] == [block]
                assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
                with_internet.append(name)
    assert sorted(with_internet) == ["alertmanager-netpol", "blackbox-exporter-netpol", "worker-netpol"]


def test_api_ingress_is_the_edge_and_prometheus_only(prod: Snapshot) -> None:
    api = selecting(prod, "api")
    peers = {
        (str(peer), port["port"])
        for rule in api["ingress"]
        for peer in rule["from"]
        for port in rule["ports"]
    }
    edge = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}
    prometheus = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/instance": "shiksha-setu-prometheus",
                "app.kubernetes.io/name": "prometheus",
            }
        }
    }
    blackbox = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/instance": "shiksha-setu-blackbox-exporter",
                "app.kubernetes.io/name": "blackbox-exporter",
            }
        }
    }
    assert peers == {(str(edge), 8000), (str(prometheus), 9100), (str(blackbox), 8000)}


def test_ingress_controller_namespace_is_configurable(prod: Snapshot) -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "network": {
                "ingressController": {
                    "namespaceLabels": {"edge.example.org/role": "ingress"},
                    "podLabels": {"app": "edge-proxy"},
                }
            }
        },
    )
    [rule] = selecting(snapshot, "frontend")["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 3000}]
    assert {
        "namespaceSelector": {"matchLabels": {"edge.example.org/role": "ingress"}},
        "podSelector": {"matchLabels": {"app": "edge-proxy"}},
    } in rule["from"]
    assert "envoy-gateway-system" not in str(rule)


def test_rules_to_namespaces_and_address_blocks() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "network": {
                "rules": {
                    "mail": {
                        "from": "worker",
                        "to": {"namespace": {"namespaceLabels": {"kubernetes.io/metadata.name": "mail"}}},
                        "ports": [587],
                    },
                    "partner": {
                        "from": "api",
                        "to": {"ipBlock": {"cidr": "203.0.113.0/24"}},
                        "ports": [8443],
                    },
                }
            }
        },
    )
    worker = selecting(snapshot, "worker")
    assert {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mail"}}}],
        "ports": [{"protocol": "TCP", "port": 587}],
    } in worker["egress"]
    api = selecting(snapshot, "api")
    assert {
        "to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
        "ports": [{"protocol": "TCP", "port": 8443}],
    } in api["egress"]


def test_every_policy_validates_strictly(prod: Snapshot) -> None:
    for name, policy in policies(prod).items():
        try:
            kubernetes_validate.validate(whole_numbers(policy.manifest), KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {error.message} at {list(error.path)}")


def test_network_can_be_switched_off() -> None:
    assert policies(run_program("prod", overrides={"network": {"enabled": False}})) == {}


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (
            {"rules": {"extra": {"from": "ghost", "to": {"workload": "api"}, "ports": ["http"]}}},
            "shiksha-setu:network.rules.extra.from: got 'ghost': names no enabled workload",
        ),
        (
            {"rules": {"extra": {"from": "api", "to": {"workload": "mailer"}, "ports": ["http"]}}},
            "shiksha-setu:network.rules.extra.to.workload: got 'mailer': names no enabled workload",
        ),
        (
            {"rules": {"extra": {"from": "beat", "to": {"workload": "postgres"}, "ports": ["http"]}}},
            "shiksha-setu:network.rules.extra.ports: got 'http': workload 'postgres' exposes no such port",
        ),
        (
            {
                "rules": {
                    "extra": {
                        "from": "beat",
                        "to": {"ipBlock": {"cidr": "203.0.113.0/24"}},
                        "ports": ["https"],
                    }
                }
            },
            "shiksha-setu:network.rules.extra.ports: got 'https': a target outside the estate needs port",
        ),
        (
            {"internet": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "192.168.0.0/16"]}},
            "shiksha-setu:network.internet: except[1] '192.168.0.0/16' is not inside cidr '10.0.0.0/8'",
        ),
        (
            {
                "rules": {
                    "extra": {
                        "from": "api",
                        "to": {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["0.0.0.0/0"]}},
                        "ports": [1],
                    }
                }
            },
            "shiksha-setu:network.rules.extra.to.ipBlock: except[0] '0.0.0.0/0' is not inside cidr "
            "'10.0.0.0/8'",
        ),
        (
            {"internet": {"cidr": "10.0.0.1/8"}},
            "shiksha-setu:network.internet.cidr: got '10.0.0.1/8': expected a CIDR network",
        ),
        (
            {
                "rules": {
                    "extra": {
                        "from": "api",
                        "to": {"workload": "redis", "ipBlock": {"cidr": "10.0.0.0/8"}},
                        "ports": [1],
                    }
                }
            },
            "shiksha-setu:network.rules.extra.to: a rule target needs exactly one of workload, namespace",
        ),
        (
            {"kubernetesApi": {"cidrs": ["api.example.org"]}},
            "shiksha-setu:network.kubernetesApi.cidrs[0]: got 'api.example.org': expected a CIDR network",
        ),
    ],
)
def test_bad_intent_is_refused_naming_the_key(network: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run_program("prod", overrides={"network": network})
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value.problems


def test_a_refused_rule_registers_nothing() -> None:
    snapshot = run_program(
        "prod",
        overrides={
            "network": {"rules": {"extra": {"from": "ghost", "to": {"workload": "api"}, "ports": ["http"]}}}
        },
        raise_errors=False,
    )
    assert isinstance(snapshot.error, ConfigError)
    assert snapshot.kubernetes_objects() == []


def test_cut_off_workloads_are_named_until_the_cluster_addresses_are_stated() -> None:
    notes = unreachable(plan(parse_estate({})).network)
    assert len(notes) == 3
    assert notes[0].startswith("network.kubernetesApi.cidrs is empty: kube-state-metrics, prometheus ")
    assert notes[1].startswith(
        "network.nodes.cidrs is empty: prometheus cannot scrape the kubelets (port 10250)"
    )
    # The default warnings receiver is a chat relay Service the estate does not run.
    assert notes[2].startswith(
        "monitoring.alertmanager.receivers.platform-warnings.webhook.url: chatops-relay is in the "
        "cluster but no network.rules entry lets alertmanager call it"
    )
    addresses = {"kubernetesApi": {"cidrs": ["10.0.0.1/32"]}, "nodes": {"cidrs": ["10.20.0.0/16"]}}
    relay_rule = {
        "from": "alertmanager",
        "to": {"namespace": {"namespaceLabels": {"kubernetes.io/metadata.name": "chatops"}}},
        "ports": [8080],
    }
    stated = parse_estate({"network": {**addresses, "rules": {"relay": relay_rule}}})
    assert unreachable(plan(stated).network) == []
    # A rule from Alertmanager to some other workload does not reach the relay.
    elsewhere = {**relay_rule, "to": {"workload": "api"}, "ports": ["http"]}
    other = parse_estate({"network": {**addresses, "rules": {"relay": elsewhere}}})
    assert [n.split(":")[0] for n in unreachable(plan(other).network)] == [
        "monitoring.alertmanager.receivers.platform-warnings.webhook.url"
    ]
    # A public HTTPS webhook is the internet egress's business, not a rule's.
    public = {"webhook": {"url": "https://chat.example.org/hooks/alerts"}}
    every = {"pagerduty-critical": {"pagerduty": {}}, "platform-warnings": public, "info-log": {}}
    receivers = {"monitoring": {"alertmanager": {"receivers": every}}}
    assert unreachable(plan(parse_estate({"network": addresses, **receivers})).network) == []
