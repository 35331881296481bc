"""Every reference to a workload, a port or another named entry that names nothing says
which known name it most likely misspells, and lists as known only what it may name: a
disabled workload (redis-cache, off by default) is never offered (issue 24)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate

P = "shiksha-setu"
NOTIFIER = {
    "component": "notifier",
    "image": "backend",
    "ports": {"http": 8080, "metrics": 9102},
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
}


def _problems(values: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_estate(values)
    return caught.value.problems


def _one(values: dict[str, Any], key: str) -> str:
    found = [p for p in _problems(values) if p.startswith(f"{P}:{key}:")]
    assert len(found) == 1, _problems(values)
    return found[0]


CASES = [
    (
        "connectsTo",
        {"workloads": {"notifier": NOTIFIER, "api": {"connectsToAdd": ["notifer"]}}},
        "workloads.api.connectsTo",
        "notifier",
    ),
    (
        "route backend",
        {"workloads": {"notifier": NOTIFIER}, "edge": {"routes": {"/notify": {"backend": "notifer"}}}},
        'edge.routes["/notify"].backend',
        "notifier",
    ),
    (
        "route port",
        {
            "workloads": {"notifier": NOTIFIER},
            "edge": {"routes": {"/notify": {"backend": "notifier", "port": "htp"}}},
        },
        'edge.routes["/notify"].port',
        "http",
    ),
    (
        "scrape job workload",
        {
            "monitoring": {"jobs": {"notifier": {"workload": "notifer", "port": "metrics"}}},
            "workloads": {"notifier": NOTIFIER},
        },
        "monitoring.jobs.notifier.workload",
        "notifier",
    ),
    (
        "scrape job port",
        {
            "monitoring": {"jobs": {"notifier": {"workload": "notifier", "port": "metric"}}},
            "workloads": {"notifier": NOTIFIER},
        },
        "monitoring.jobs.notifier.port",
        "metrics",
    ),
    (
        "network rule from",
        {
            "network": {"rules": {"mail": {"from": "notifer", "to": {"workload": "api"}, "ports": ["http"]}}},
            "workloads": {"notifier": NOTIFIER},
        },
        "network.rules.mail.from",
        "notifier",
    ),
    (
        "network rule port",
        {
            "network": {"rules": {"mail": {"from": "notifier", "to": {"workload": "api"}, "ports": ["htp"]}}},
            "workloads": {"notifier": NOTIFIER},
        },
        "network.rules.mail.ports",
        "http",
    ),
    (
        "image",
        {"workloads": {"notifier": {**NOTIFIER, "image": "backnd"}}},
        "workloads.notifier.image",
        "backend",
    ),
    (
        "alertmanager receiver",
        {"monitoring": {"alertmanager": {"defaultReceiver": "platform-warning"}}},
        "monitoring.alertmanager.defaultReceiver",
        "platform-warnings",
    ),
    (
        "docker-host upstream",
        {"target": "docker-host", "dockerHost": {"nginx": {"upstreams": {"fronend": "frontend:3000"}}}},
        "dockerHost.nginx.upstreams.fronend",
        "frontend",
    ),
]


@pytest.mark.parametrize(("values", "key", "meant"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_misspelt_name_gets_the_name_it_misspells(values: dict[str, Any], key: str, meant: str) -> None:
    assert f"did you mean {meant!r}?" in _one(values, key)


def test_several_misspellings_at_once_each_get_their_own_guess() -> None:
    values = {
        "workloads": {"notifier": NOTIFIER, "worker": {"connectsTo": ["postgress", "redis", "vlm"]}},
        "edge": {"routes": {"/notify": {"backend": "notifer"}}},
    }
    problems = _problems(values)
    assert any("got 'postgress'" in p and "did you mean 'postgres'?" in p for p in problems), problems
    assert any("got 'vlm'" in p and "did you mean 'vllm'?" in p for p in problems), problems
    assert any("got 'notifer'" in p and "did you mean 'notifier'?" in p for p in problems), problems


def test_a_name_like_nothing_gets_no_guess_but_the_known_names() -> None:
    message = _one(
        {"workloads": {"api": {"connectsTo": ["postgres", "redis", "vllm", "zzzzzz"]}}},
        "workloads.api.connectsTo",
    )
    assert "did you mean" not in message
    assert "known: ['api', 'beat', 'frontend', 'postgres', 'redis', 'vllm', 'worker']" in message


def _known(message: str) -> list[str]:
    found = re.search(r"known: (\[.*?\])", message)
    assert found is not None, message
    return list(eval(found.group(1)))  # noqa: S307 (a list literal of names from our own message)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"workloads": {"api": {"connectsToAdd": ["redis-cach"]}}}, "workloads.api.connectsTo"),
        (
            {"edge": {"routes": {"/cache": {"backend": "redis-cach", "port": "redis"}}}},
            'edge.routes["/cache"].backend',
        ),
        (
            {"monitoring": {"jobs": {"cache": {"workload": "redis-cach", "port": "redis"}}}},
            "monitoring.jobs.cache.workload",
        ),
    ],
)
def test_a_disabled_workload_is_neither_known_nor_guessed(values: dict[str, Any], key: str) -> None:
    message = _one(values, key)
    assert "redis-cache" not in _known(message)
    assert "did you mean 'redis-cache'" not in message
    assert "redis" in _known(message)


def test_enabling_the_workload_makes_it_known() -> None:
    values = {
        "workloads": {"redis-cache": {"enabled": True}},
        "monitoring": {"jobs": {"cache": {"workload": "redis-cach", "port": "redis"}}},
    }
    message = _one(values, "monitoring.jobs.cache.workload")
    assert "did you mean 'redis-cache'?" in message


def test_a_probe_on_a_misspelt_port_gets_the_port_it_misspells() -> None:
    probes = {"readiness": {"httpPath": "/health", "port": "htp"}}
    problems = _problems({"workloads": {"notifier": {**NOTIFIER, "probes": probes}}})
    assert any("probes.readiness.port 'htp'" in p and "(did you mean 'http'?)" in p for p in problems), (
        problems
    )
