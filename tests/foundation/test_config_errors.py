"""Bad stack config is refused before any resource is registered, naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from tests.support.program import TEST_SECRETS, run_program

P = "shiksha-setu"

BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "cpu quantity",
        {f"{P}:workloads": {"api": {"resources": {"limits": {"cpu": "abc"}}}}},
        "shiksha-setu:workloads.api.resources.limits.cpu",
        "CPU quantity",
    ),
    (
        "negative replicas",
        {f"{P}:workloads": {"worker": {"replicas": -1}}},
        "shiksha-setu:workloads.worker.replicas",
        "greater than or equal to 1",
    ),
    ("unknown top-level key", {f"{P}:replicaz": 3}, "shiksha-setu:replicaz", "unknown key"),
    (
        "unknown nested key",
        {f"{P}:workloads": {"api": {"securityContext": {"privileged": True}}}},
        "shiksha-setu:workloads.api.securityContext",
        "unknown key",
    ),
    (
        "memory quantity",
        {f"{P}:workloads": {"redis": {"resources": {"requests": {"memory": "lots"}}}}},
        "shiksha-setu:workloads.redis.resources.requests.memory",
        "memory quantity",
    ),
    (
        "requests above limits",
        {f"{P}:workloads": {"api": {"resources": {"requests": {"cpu": "4"}}}}},
        "shiksha-setu:workloads.api.resources",
        "exceeds limits.cpu",
    ),
    (
        "two schedulers",
        {f"{P}:workloads": {"beat": {"replicas": 2}}},
        "shiksha-setu:workloads.beat",
        "exactly 1 replica",
    ),
    (
        "silent security opt-out",
        {f"{P}:workloads": {"api": {"security": {"allowPrivilegeEscalation": True}}}},
        "shiksha-setu:workloads.api.security",
        "needs optOutReason",
    ),
    (
        "root user",
        {f"{P}:workloads": {"api": {"security": {"runAsUser": 0}}}},
        "shiksha-setu:workloads.api.security.runAsUser",
        "greater than or equal to 1",
    ),
    (
        "secret in an env literal",
        {f"{P}:workloads": {"api": {"env": {"DB_PASSWORD": "hunter2"}}}},
        "shiksha-setu:workloads.api",
        "looks like a secret",
    ),
    (
        "unknown image",
        {f"{P}:workloads": {"api": {"image": "backendd"}}},
        "shiksha-setu:workloads.api.image",
        "names no entry of images.pinned",
    ),
    (
        "image tagged latest",
        {f"{P}:images": {"pinned": {"backend": "ghcr.io/shiksha-setu/backend:latest"}}},
        "shiksha-setu:images.pinned.backend",
        "never latest",
    ),
    (
        "probe on a port the workload lacks",
        {f"{P}:workloads": {"frontend": {"probes": {"readiness": {"httpPath": "/", "port": "web"}}}}},
        "shiksha-setu:workloads.frontend",
        "is not one of ports",
    ),
    (
        "target",
        {f"{P}:target": "swarm"},
        "shiksha-setu:target",
        "'kubernetes' or 'docker-host'",
    ),
    (
        "quota cpu",
        {f"{P}:namespace": {"quota": {"limitsCpu": "-3"}}},
        "shiksha-setu:namespace.quota.limitsCpu",
        "CPU quantity",
    ),
    (
        "connection to a missing workload",
        {f"{P}:workloads": {"worker": {"connectsToAdd": ["rabbitmq"]}}},
        "shiksha-setu:workloads.worker.connectsTo",
        "'rabbitmq'",
    ),
    (
        "scrape job of a missing workload",
        {f"{P}:monitoring": {"jobs": {"celery": {"workload": "celery", "port": "metrics"}}}},
        "shiksha-setu:monitoring.jobs.celery.workload",
        "names no workload",
    ),
    (
        "network rule from a missing workload",
        {
            f"{P}:network": {
                "rules": {"extra": {"from": "ghost", "to": {"workload": "api"}, "ports": ["http"]}}
            }
        },
        "shiksha-setu:network.rules.extra.from",
        "names no enabled workload",
    ),
    (
        "edge route to a missing port",
        {f"{P}:edge": {"routes": {"/": {"port": "https"}}}},
        'shiksha-setu:edge.routes["/"].port',
        "'frontend' has no such port",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_config_is_refused_before_any_resource(
    overrides: dict[str, Any], key: str, expected: str
) -> None:
    snapshot = run_program("prod", overrides=overrides, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError), snapshot.error
    message = str(snapshot.error)
    assert key in message
    assert expected in message
    assert snapshot.resources == [], "nothing may be registered when the config is bad"


def test_missing_required_secret_names_the_key() -> None:
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "postgresPassword"}
    snapshot = run_program("prod", secrets=secrets, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError)
    assert "shiksha-setu:postgresPassword: required secret is missing" in str(snapshot.error)
    assert "pulumi config set --secret postgresPassword" in str(snapshot.error)
    assert snapshot.resources == []


def test_plaintext_secret_is_refused() -> None:
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "redisPassword"}
    snapshot = run_program(
        "prod", secrets=secrets, plaintext={"redisPassword": "in-the-clear"}, raise_errors=False
    )
    assert isinstance(snapshot.error, ConfigError)
    assert "shiksha-setu:redisPassword: is stored in plaintext" in str(snapshot.error)
    assert "in-the-clear" not in str(snapshot.error)
    assert snapshot.resources == []


def test_every_problem_is_reported_at_once() -> None:
    overrides = {
        f"{P}:workloads": {"api": {"replicas": 0}, "worker": {"resources": {"limits": {"cpu": "x"}}}},
    }
    snapshot = run_program("prod", overrides=overrides, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError)
    assert len(snapshot.error.problems) == 2


def test_opt_out_with_reason_is_accepted_and_visible() -> None:
    overrides = {
        f"{P}:workloads": {
            "api": {"security": {"readOnlyRootFilesystem": False, "optOutReason": "legacy uploads dir"}}
        }
    }
    snapshot = run_program("prod", overrides=overrides)
    template = snapshot.one("Deployment", "api").inputs["spec"]["template"]
    annotation = template["metadata"]["annotations"]["shiksha.io/security-opt-out"]
    assert annotation == "readOnlyRootFilesystem: legacy uploads dir"
    assert template["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
