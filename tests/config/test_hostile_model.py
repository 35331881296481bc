"""Hostile and malformed stack config, beyond the issue's samples: each value is refused by
the model, naming its key, before anything is registered, on either target."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from tests.support.program import run_program

from .support import refused

P = "shiksha-setu"
RESOURCES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}


def workload(**fields: Any) -> dict[str, Any]:
    return {"component": "extra", "image": "backend", "resources": RESOURCES, **fields}


# (id, top-level overrides, key the message must name, words it must contain)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # Whole-string matching and ASCII digits.
    (
        "cpu with a newline",
        {"workloads": {"api": {"resources": {"limits": {"cpu": "2\n"}}}}},
        "workloads.api.resources.limits.cpu",
        "CPU quantity",
    ),
    (
        "cpu in non-ASCII digits",
        {"workloads": {"api": {"resources": {"limits": {"cpu": "\uff12"}}}}},
        "workloads.api.resources.limits.cpu",
        "CPU quantity",
    ),
    (
        "cpu below a millicore",
        {"workloads": {"api": {"resources": {"requests": {"cpu": "0.0001"}}}}},
        "workloads.api.resources.requests.cpu",
        "whole millicores",
    ),
    (
        "memory beyond int64",
        {"workloads": {"api": {"resources": {"limits": {"memory": "99999999999Ei"}}}}},
        "workloads.api.resources.limits.memory",
        "memory quantity",
    ),
    (
        "port in full-width digits",
        {"workloads": {"api": {"ports": {"http": "\uff18\uff10\uff10\uff10"}}}},
        "workloads.api.ports.http",
        "valid integer",
    ),
    (
        "port as a numeric string",
        {"workloads": {"api": {"ports": {"http": "8000"}}}},
        "workloads.api.ports.http",
        "valid integer",
    ),
    (
        "port as a boolean",
        {"workloads": {"api": {"ports": {"http": True}}}},
        "workloads.api.ports.http",
        "valid integer",
    ),
    ("port 0", {"workloads": {"api": {"ports": {"http": 0}}}}, "workloads.api.ports.http", "greater than"),
    (
        "workload name ending in a newline",
        {"workloads": {"jobs\n": workload()}},
        "workloads.'jobs\\n'",
        "DNS-1035",
    ),
    (
        "workload name starting with a digit",
        {"workloads": {"9lives": workload()}},
        "workloads.9lives",
        "DNS-1035",
    ),
    ("workload name of 64 characters", {"workloads": {"a" * 64: workload()}}, "workloads.aaaa", "DNS-1035"),
    (
        "instance label too long",
        {"workloads": {"a" * 60: workload()}},
        "workloads.aaaa",
        "app.kubernetes.io/instance",
    ),
    (
        "StatefulSet name with no room for its revision hash",
        {
            "workloads": {
                "s" * 53: workload(kind="StatefulSet", storage={"size": "1Gi", "mountPath": "/data"})
            }
        },
        "workloads.ssss",
        "StatefulSet",
    ),
    # Kubernetes ranges and names.
    (
        "replicas beyond int32",
        {"workloads": {"worker": {"replicas": 2**31}}},
        "workloads.worker.replicas",
        "less than or equal to 2147483647",
    ),
    (
        "port name over 15 characters",
        {"workloads": {"frontend": {"ports": {"http-frontend-web": 3000}}}},
        "workloads.frontend.ports.http-frontend-web",
        "port name",
    ),
    (
        "port name without a letter",
        {"workloads": {"frontend": {"ports": {"3000": 3000}}}},
        "workloads.frontend.ports.3000",
        "at least one letter",
    ),
    (
        "two port names for one number",
        {"workloads": {"frontend": {"ports": {"http": 3000, "web": 3000}}}},
        "workloads.frontend",
        "two names for one port number",
    ),
    (
        "writable paths giving one volume name",
        {"workloads": {"api": {"writablePaths": ["/tmp/a.b", "/tmp/a_b"]}}},
        "workloads.api",
        "one volume name",
    ),
    (
        "upper-case writable path",
        {"workloads": {"api": {"writablePaths": ["/Data"]}}},
        "workloads.api",
        "DNS-1123 label",
    ),
    (
        "writable path with '..'",
        {"workloads": {"api": {"writablePaths": ["/tmp/../etc"]}}},
        "workloads.api.writablePaths[0]",
        "'..'",
    ),
    (
        "label value with a space",
        {"workloads": {"api": {"nodeSelector": {"pool": "big pool"}}}},
        "workloads.api.nodeSelector.pool",
        "label value",
    ),
    (
        "label key with two slashes",
        {"workloads": {"api": {"nodeSelector": {"a/b/c": "x"}}}},
        "workloads.api.nodeSelector",
        "label key",
    ),
    ("env name with '='", {"workloads": {"api": {"env": {"A=B": "x"}}}}, "workloads.api.env", "environment"),
    ("NUL in an argument", {"workloads": {"api": {"args": ["--x\x00y"]}}}, "workloads.api.args[0]", "NUL"),
    (
        "probe path with a double quote and a space",
        {
            "workloads": {
                "frontend": {
                    "probes": {
                        "readiness": {"httpPath": '/" ;require("child_process").exec("id', "port": "http"}
                    }
                }
            }
        },
        "workloads.frontend.probes.readiness.httpPath",
        "expected a path such as /health",
    ),
    (
        "opt-out reason over two lines",
        {
            "workloads": {
                "api": {"security": {"readOnlyRootFilesystem": False, "optOutReason": "legacy\nx: y"}}
            }
        },
        "workloads.api.security.optOutReason",
        "one line",
    ),
    ("version label with a space", {"version": "4.1 beta"}, "version", "label value"),
    ("empty version label", {"version": ""}, "version", "at least 1"),
    ("namespace in upper case", {"namespace": {"name": "Shiksha"}}, "namespace.name", "DNS-1123"),
    # Finite numbers.
    (
        "rate of infinity",
        {"edge": {"rateLimits": {"requestsPerSecond": float("inf")}}},
        "edge.rateLimits.requestsPerSecond",
        "finite",
    ),
    (
        "rate of NaN",
        {"edge": {"rateLimits": {"globalRequestsPerSecond": float("nan")}}},
        "edge.rateLimits.globalRequestsPerSecond",
        "finite",
    ),
    ("huge integer", {"edge": {"maxBodySizeMb": 10**40}}, "edge.maxBodySizeMb", "less than or equal"),
    # Wrong JSON types and empty values.
    ("workloads as a list", {"workloads": ["api"]}, "workloads", "valid dictionary"),
    ("hosts as null", {"edge": {"hosts": None}}, "edge.hosts", "valid list"),
    ("hosts as a string", {"edge": {"hosts": "a.example.org"}}, "edge.hosts", "valid list"),
    ("empty hosts", {"edge": {"hosts": []}}, "edge.hosts", "at least 1 item"),
    (
        "every route removed",
        {"edge": {"routes": {"/api": None, "/ws": None, "/": None}}},
        "edge.routes",
        "at least 1 item",
    ),
    (
        "routes as the old list",
        {"edge": {"routes": [{"path": "/docs", "backend": "frontend"}]}},
        "edge.routes",
        'write `routes: {"/docs": {"backend": "frontend"}}`',
    ),
    (
        "null for a route that is no default",
        {"edge": {"routes": {"/wss": None}}},
        'edge.routes["/wss"]',
        "no default named '/wss' (did you mean '/ws'?)",
    ),
    ("empty host name", {"edge": {"hosts": [""]}}, "edge.hosts[0]", "DNS name"),
    ("host with a trailing newline", {"edge": {"hosts": ["a.example.org\n"]}}, "edge.hosts[0]", "DNS name"),
    ("duplicate hosts", {"edge": {"hosts": ["a.example.org", "a.example.org"]}}, "edge.hosts", "twice"),
    (
        "route path with a brace",
        {"edge": {"routes": {"/x}": {"backend": "api"}}}},
        'edge.routes["/x}"]',
        "URL path",
    ),
    (
        "a path both streamed and a websocket",
        {"edge": {"streamPaths": ["/ws"]}},
        "edge.websocketPaths[0]",
        "already in edge.streamPaths",
    ),
    (
        # So NGINX and the Kubernetes edge never meet one path in two roles.
        "an ML path that is also streamed",
        {"edge": {"mlPathsAdd": ["/api/v2/chat/stream"]}},
        "edge.streamPaths[0]",
        "already in edge.mlPaths",
    ),
    # Prometheus and Alertmanager.
    (
        "Perl lookahead",
        {"monitoring": {"droppedMetrics": ["go_(?!gc).*"]}},
        "monitoring.droppedMetrics[0]",
        "RE2",
    ),
    (
        "duration with a newline",
        {"monitoring": {"prometheus": {"retention": "15d\n"}}},
        "monitoring.prometheus.retention",
        "Prometheus duration",
    ),
    (
        "duration beyond Go's int64",
        {"monitoring": {"prometheus": {"retention": "999999999y"}}},
        "monitoring.prometheus.retention",
        "292 years",
    ),
    (
        "unknown time zone",
        {"monitoring": {"alertmanager": {"muteIntervals": {"maintenance": [{"location": "Asia/Atlantis"}]}}}},
        "monitoring.alertmanager.muteIntervals.maintenance[0].location",
        "time zone",
    ),
    (
        "time zone as a path",
        {
            "monitoring": {
                "alertmanager": {"muteIntervals": {"maintenance": [{"location": "../../etc/passwd"}]}}
            }
        },
        "monitoring.alertmanager.muteIntervals.maintenance[0].location",
        "time zone",
    ),
    (
        "label name with a dash",
        {"monitoring": {"alertmanager": {"groupBy": ["alert-name"]}}},
        "monitoring.alertmanager.groupBy[0]",
        "label name",
    ),
    (
        "scrape job named like a built-in one",
        {"monitoring": {"jobs": {"alertmanager": {"workload": "api", "port": "metrics"}}}},
        "monitoring.jobs.alertmanager",
        "built-in scrape job",
    ),
    # Cross-references and uniqueness.
    (
        "workload named like a monitoring component",
        {"workloads": {"prometheus": workload()}},
        "workloads.prometheus",
        "monitoring workload",
    ),
    (
        "disabled datastore still connected",
        {"workloads": {"redis": {"enabled": False}}},
        "workloads.api.connectsTo",
        "disabled workload",
    ),
    (
        "route to a disabled workload",
        {"workloads": {"frontend": {"enabled": False}}},
        'edge.routes["/"].backend',
        "disabled workload",
    ),
    (
        "datastore name on another image",
        {"workloads": {"redis": {"image": "backend"}}},
        "workloads.redis.image",
        "runs image 'redis'",
    ),
    (
        "datastore image under another name",
        {"workloads": {"worker": {"image": "redis"}}},
        "workloads.worker.image",
        "is a datastore image",
    ),
    (
        "rule from a disabled workload",
        {
            "workloads": {"vllm": {"enabled": False}},
            "network": {"rules": {"extra": {"from": "vllm", "to": {"workload": "api"}, "ports": ["http"]}}},
        },
        "network.rules.extra.from",
        "names no enabled workload",
    ),
    (
        "rule to a monitoring port that does not exist",
        {
            "network": {
                "rules": {"extra": {"from": "api", "to": {"workload": "prometheus"}, "ports": ["grpc"]}}
            }
        },
        "network.rules.extra.ports",
        "'prometheus' exposes no such port",
    ),
    (
        "quota below the estate at full scale",
        {"workloads": {"api": {"autoscaling": {"minReplicas": 3, "maxReplicas": 60}}}},
        "namespace.quota.limitsCpu",
        "full scale",
    ),
    (
        "container above the limit range",
        {"namespace": {"limitRange": {"maxCpu": "2"}}},
        "workloads.vllm.resources.limits.cpu",
        "maxCpu",
    ),
    # One spelling per key.
    (
        "snake_case twin",
        {"workloads": {"api": {"connects_to": ["redis"]}}},
        "workloads.api.connects_to",
        "write `connectsTo`",
    ),
    (
        "misspelt key",
        {"workloads": {"api": {"conectsTo": ["redis"]}}},
        "workloads.api.conectsTo",
        "did you mean `connectsTo`",
    ),
]

DOCKER_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("docker-host with no hosts", {"edge": {"hosts": []}}, "edge.hosts", "at least 1 item"),
    (
        "docker-host rate of infinity",
        {"edge": {"rateLimits": {"requestsPerSecond": float("inf")}}},
        "edge.rateLimits.requestsPerSecond",
        "finite",
    ),
    (
        "loopback port of a disabled workload",
        {"workloads": {"vllm": {"enabled": False}}, "dockerHost": {"loopbackPorts": {"vllm": 8001}}},
        "dockerHost.loopbackPorts.vllm",
        "names no enabled workload",
    ),
    (
        "loopback port equal to the edge's",
        {"dockerHost": {"loopbackPorts": {"redis": 443}}},
        "dockerHost",
        "twice",
    ),
    (
        "volume path that is not writable",
        {"dockerHost": {"volumePaths": {"vllm": ["/etc"]}}},
        "dockerHost.volumePaths.vllm",
        "writablePaths",
    ),
    (
        "two volumes with one name",
        {
            "workloads": {"vllm": {"writablePaths": ["/tmp", "/a/b", "/a-b"]}},
            "dockerHost": {"volumePaths": {"vllm": ["/a/b", "/a-b"]}},
        },
        # The model refuses the paths already: the pods' volumes would share a name too.
        "workloads.vllm",
        "two paths give one volume name",
    ),
    (
        # The secret files of postgres go to a volume of their own, `<prefix>-postgres-credentials`.
        "volume path named like a volume of secret files",
        {
            "workloads": {"postgres": {"writablePaths": ["/tmp", "/var/run/postgresql", "/credentials"]}},
            "dockerHost": {"volumePaths": {"postgres": ["/credentials"]}},
        },
        "dockerHost.volumePaths.postgres: got '/credentials'",
        "secret files",
    ),
    (
        "volume path named like the workload's storage",
        {
            "workloads": {"postgres": {"writablePaths": ["/tmp", "/var/run/postgresql", "/data"]}},
            "dockerHost": {"volumePaths": {"postgres": ["/data"]}},
        },
        "dockerHost.volumePaths.postgres: got '/data'",
        "storage",
    ),
    (
        "health check of an unknown form",
        {"dockerHost": {"healthchecks": {"redis": ["redis-cli ping"]}}},
        "dockerHost.healthchecks.redis",
        "CMD",
    ),
    (
        "bind address that is not an address",
        {"dockerHost": {"bindAddress": "0.0.0.0; rm -rf /"}},
        "dockerHost.bindAddress",
        "IPv4 or IPv6",
    ),
    (
        "workload without a probe",
        {"workloads": {"beat": {"probes": {"readiness": None, "liveness": None}}}},
        "workloads.beat.probes",
        "readiness or liveness",
    ),
]


@pytest.mark.parametrize(("overrides", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_value_is_refused_naming_its_key(overrides: dict[str, Any], key: str, words: str) -> None:
    refused(overrides, key, words)


@pytest.mark.parametrize(
    ("overrides", "key", "words"), [c[1:] for c in DOCKER_CASES], ids=[c[0] for c in DOCKER_CASES]
)
def test_hostile_docker_host_value_is_refused_naming_its_key(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    refused({"target": "docker-host", **overrides}, key, words)


def test_field_and_reference_problems_are_reported_together() -> None:
    # A bad CPU no longer hides an unknown connection of the same workload.
    overrides = {"workloads": {"api": {"resources": {"limits": {"cpu": "x"}}, "connectsToAdd": ["ghost"]}}}
    snapshot = run_program(
        "prod", overrides={f"{P}:{k}": v for k, v in overrides.items()}, raise_errors=False
    )
    assert isinstance(snapshot.error, ConfigError)
    keys = [problem.split(": ")[0] for problem in snapshot.error.problems]
    assert keys == [f"{P}:workloads.api.resources.limits.cpu", f"{P}:workloads.api.connectsTo"]


def test_a_reference_to_an_invalid_entry_is_not_reported_as_missing() -> None:
    # The route names `extra`, whose own spec is bad: one problem, at the spec.
    overrides = {
        "workloads": {"extra": {"component": "x", "image": "backend"}},
        "edge": {"routes": {"/": {"backend": "extra"}}},
    }
    snapshot = run_program(
        "prod", overrides={f"{P}:{k}": v for k, v in overrides.items()}, raise_errors=False
    )
    assert isinstance(snapshot.error, ConfigError)
    assert snapshot.error.problems == [f"{P}:workloads.extra.resources: required key is missing"]


def test_network_rules_may_name_monitoring_workloads() -> None:
    # The Alertmanager webhook warning asks for exactly this rule; the model takes it.
    rule = {"from": "alertmanager", "to": {"workload": "api"}, "ports": ["http"]}
    snapshot = run_program("prod", overrides={f"{P}:network": {"rules": {"alerts-to-api": rule}}})
    policy = snapshot.one("NetworkPolicy", "alertmanager-netpol").inputs["spec"]
    assert any(
        rule_.get("to", [{}])[0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
        == "api"
        for rule_ in policy["egress"]
    )
