"""A workload that serves a port is probed unless it says why not (ProbesSpec)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from tests.support.program import Snapshot, run_program

P = "shiksha-setu"
ANNOTATION = "shiksha.io/probes-opt-out"
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}
REASON = "a queue consumer whose port only serves metrics scraped by Prometheus"


def notifier(**fields: Any) -> dict[str, Any]:
    return {
        "component": "notifier",
        "image": "backend",
        "replicas": 2,
        "ports": {"http": 8080, "metrics": 9100},
        "resources": RESOURCES,
        **fields,
    }


def _run(target: str, **fields: Any) -> Snapshot:
    overrides: dict[str, Any] = {f"{P}:workloads": {"notifier": notifier(**fields)}}
    if target == "docker-host":
        overrides[f"{P}:target"] = "docker-host"
    return run_program("prod", overrides=overrides)


def _container(snapshot: Snapshot) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = snapshot.one("Deployment", "notifier").inputs
    template = deployment["spec"]["template"]
    return template, template["spec"]["containers"][0]


def test_a_new_workload_with_a_port_gets_tcp_probes_on_its_first_port() -> None:
    template, container = _container(_run("kubernetes"))
    assert container["readinessProbe"]["tcpSocket"] == {"port": "http"}
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert "startupProbe" not in container
    assert ANNOTATION not in template["metadata"]["annotations"]


def test_a_declared_health_path_makes_them_http() -> None:
    _, container = _container(_run("kubernetes", probes={"healthPath": "/healthz"}))
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_an_explicit_probe_is_kept_and_only_the_missing_one_is_added() -> None:
    readiness = {"exec": ["/bin/ready"], "periodSeconds": 7}
    _, container = _container(_run("kubernetes", probes={"readiness": readiness}))
    assert container["readinessProbe"]["exec"] == {"command": ["/bin/ready"]}
    assert container["readinessProbe"]["periodSeconds"] == 7
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}


def test_opting_out_with_a_reason_leaves_no_probe_and_an_annotation() -> None:
    template, container = _container(_run("kubernetes", probes={"disabled": True, "optOutReason": REASON}))
    assert "readinessProbe" not in container and "livenessProbe" not in container
    assert template["metadata"]["annotations"][ANNOTATION] == REASON


def test_a_workload_without_ports_gets_no_default_probe() -> None:
    _, container = _container(_run("kubernetes", ports={}))
    assert "readinessProbe" not in container and "livenessProbe" not in container


@pytest.mark.parametrize(
    ("probes", "message"),
    [
        ({"disabled": True}, "disabled: true needs optOutReason"),
        ({"disabled": True, "optOutReason": "  "}, "disabled: true needs optOutReason"),
        ({"optOutReason": REASON}, "optOutReason goes with disabled: true"),
        ({"disabled": True, "optOutReason": REASON, "healthPath": "/h"}, "healthPath is what the default"),
        (
            {
                "disabled": True,
                "optOutReason": REASON,
                "readiness": {"tcp": True, "port": "http"},
                "liveness": {"tcp": True, "port": "http"},
            },
            "disables nothing",
        ),
        (
            {"disabled": True, "optOutReason": "two\nlines"},
            "shiksha-setu:workloads.notifier.probes.optOutReason",
        ),
    ],
    ids=["no-reason", "blank-reason", "reason-alone", "health-path-too", "nothing-to-disable", "two-lines"],
)
def test_an_opt_out_without_a_reason_is_refused_naming_the_key(probes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_estate({"workloads": {"notifier": notifier(probes=probes)}})
    text = str(refused.value)
    assert "shiksha-setu:workloads.notifier.probes" in text, text
    assert message in text, text


def test_the_production_workloads_keep_their_own_probes(prod: Snapshot) -> None:
    config = parse_estate({})
    for name, spec in config.enabled_workloads.items():
        assert spec.effective_probes == spec.probes, name
    for deployment in prod.kubernetes_objects():
        if deployment.kind in ("Deployment", "StatefulSet"):
            annotations = deployment.inputs["spec"]["template"]["metadata"].get("annotations", {})
            assert ANNOTATION not in annotations, deployment.name


# ---------------------------------------------------------------- docker-host


def _healthcheck(snapshot: Snapshot) -> dict[str, Any]:
    containers = {r.name: r for r in snapshot.of_type("docker:index/container:Container")}
    return dict(containers["notifier"].inputs["healthcheck"])


def test_docker_host_derives_the_health_check_from_the_default_probe() -> None:
    check = _healthcheck(_run("docker-host"))
    assert check["tests"] == ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
    http = _healthcheck(_run("docker-host", probes={"healthPath": "/healthz"}))
    assert "http://127.0.0.1:8080/healthz" in http["tests"]


def test_docker_host_without_probes_still_needs_a_health_check() -> None:
    opted_out = notifier(probes={"disabled": True, "optOutReason": REASON})
    with pytest.raises(
        ConfigError, match=r"shiksha-setu:workloads\.notifier\.probes: the docker-host target"
    ):
        parse_estate({"target": "docker-host", "workloads": {"notifier": opted_out}})
    accepted = parse_estate(
        {
            "target": "docker-host",
            "workloads": {"notifier": opted_out},
            "dockerHost": {"healthchecks": {"notifier": ["CMD", "/bin/health"]}},
        }
    )
    assert accepted.workloads["notifier"].effective_probes.readiness is None
