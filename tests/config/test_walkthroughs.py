"""docs/walkthroughs.md, run as written: each YAML block of the page goes into the local
stack's config unchanged, the real program runs under Pulumi's mocks, and every effect
the page promises is checked, as is that nothing that was there before changed other than
by gaining entries."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from tests.support.additions import changes_beyond_additions
from tests.support.program import TEST_SECRETS, Snapshot, run_program, stack_config
from tests.support.walkthroughs import walkthrough_secrets, walkthroughs

P = "shiksha-setu"


def _objects(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [r.manifest for r in snapshot.kubernetes_objects()]


@cache
def _baseline() -> tuple[dict[str, Any], ...]:
    return tuple(_objects(run_program("local")))


@cache
def _walked(title: str) -> Snapshot:
    config = walkthroughs()[title]
    # As written means added to the stack file: no key of the block is already set there.
    assert not set(config) & set(stack_config("local")), f"{title} would replace a key of Pulumi.local.yaml"
    # The secrets the page has the reader set, each with a stand-in value.
    secrets = {key: f"walkthrough-{key}-Secret-7" for key in walkthrough_secrets()[title]}
    return run_program("local", overrides=config, secrets={**TEST_SECRETS, **secrets})


def test_the_page_has_the_two_walkthroughs() -> None:
    assert list(walkthroughs()) == ["Add a workload", "Add an alert rule"]
    # The notifier is no Celery client: its broker user's password is the reader's to set.
    assert walkthrough_secrets()["Add a workload"] == ["redisPassword_notifier"]


@pytest.mark.parametrize("title", ["Add a workload", "Add an alert rule"])
def test_a_walkthrough_only_adds(title: str) -> None:
    assert changes_beyond_additions(_baseline(), _objects(_walked(title))) == []


def _http_route_backends(snapshot: Snapshot) -> dict[str, tuple[str, float]]:
    route = snapshot.one("HTTPRoute", "shiksha-setu").inputs
    return {
        match["path"]["value"]: (backend["name"], backend["port"])
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
        for backend in rule.get("backendRefs", [])
    }


def _pod_names(spec: dict[str, Any], direction: str) -> set[str]:
    peers = [
        peer
        for rule in spec.get(direction, [])
        for peer in rule.get("to" if direction == "egress" else "from", [])
    ]
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for peer in peers
        if "podSelector" in peer and "namespaceSelector" not in peer
    }


def test_add_a_workload_does_what_the_page_says() -> None:
    snapshot = _walked("Add a workload")
    deployment = snapshot.one("Deployment", "notifier").inputs
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python"] and container["args"] == ["-m", "app.notifier"]
    service = snapshot.one("Service", "notifier").inputs
    assert {(p["name"], p["port"]) for p in service["spec"]["ports"]} == {("http", 8080), ("metrics", 9102)}
    # The broker's settings come from a Secret, never a literal value.
    redis_env = [e for e in container.get("env", []) if "REDIS" in e["name"] or "BROKER" in e["name"]]
    assert redis_env and all("valueFrom" in e and "value" not in e for e in redis_env), redis_env

    policy = snapshot.one("NetworkPolicy", "notifier-netpol").inputs["spec"]
    assert _pod_names(policy, "egress") == {"redis"}
    # Only Prometheus (metrics) and the edge's controller namespace (http) may call it.
    ingress = {
        (rule["ports"][0]["port"], tuple(sorted(peer))) for rule in policy["ingress"] for peer in rule["from"]
    }
    assert ingress == {(8080, ("namespaceSelector",)), (9102, ("podSelector",))}, ingress
    assert _pod_names(policy, "ingress") == {"prometheus"}
    assert "notifier" in _pod_names(snapshot.one("NetworkPolicy", "redis-netpol").inputs["spec"], "ingress")

    backends = _http_route_backends(snapshot)
    assert backends["/api/v1/notify"] == ("notifier", 8080)
    # The defaults stay where they were: the misroute was /ws going to the frontend.
    assert backends["/ws"] == backends["/api"] == ("api", 8000)
    assert backends["/"] == ("frontend", 3000)

    prometheus = yaml.safe_load(
        snapshot.one("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"]
    )
    assert "notifier" in {job["job_name"] for job in prometheus["scrape_configs"]}


def test_add_an_alert_rule_does_what_the_page_says() -> None:
    snapshot = _walked("Add an alert rule")
    files = snapshot.one("ConfigMap", "prometheus-rules").inputs["data"]
    baseline = next(
        o for o in _baseline() if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "prometheus-rules"
    )
    assert set(files) == set(baseline["data"]) | {"notifier.yml"}
    for name, text in baseline["data"].items():
        assert files[name] == text, f"built-in rule file {name} changed"
    (group,) = yaml.safe_load(files["notifier.yml"])["groups"]
    (rule,) = group["rules"]
    assert group["name"] == "notifier"
    assert rule["alert"] == "NotifierDeliveryFailing" and rule["for"] == "10m"
    assert rule["labels"]["severity"] == "warning"
    assert rule["annotations"]["runbook_url"].endswith("/notifier/delivery-failing")


@pytest.mark.parametrize("title", ["Add a workload", "Add an alert rule"])
def test_a_walkthrough_passes_the_policy_pack_that_make_up_enforces(title: str) -> None:
    from tests.policies.pack_client import PackProcess, engine_resources

    resources = engine_resources(_walked(title).resources)
    with PackProcess() as pack:
        pack.configure({})
        found = [d for rtype, props, name in resources for d in pack.analyze(rtype, props, name)]
        found += pack.analyze_stack(resources)
    mandatory = [f"[{d['policy']}] {d['message']}" for d in found if d["level"] == "mandatory"]
    assert mandatory == []
    # Nothing the pack says is about the notifier: the walkthrough writes a complete workload.
    about = [f"[{d['policy']}] {d['message']}" for d in found if "notifier" in d["message"]]
    assert about == []
