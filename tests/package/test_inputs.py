"""The exported components' inputs as the host hands them over (plain dicts, numbers as
doubles), turned into the components' Args or refused naming the input, without the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.values.numbers import whole_numbers
from provider.exported import (
    IngressWithHeadersInputs,
    InputError,
    SecureDeploymentInputs,
    ZeroTrustNetworkInputs,
    deployment_args,
    edge_args,
    network_intent,
)


@pytest.fixture(autouse=True)
def _own_event_loop() -> Iterator[None]:
    """The Args hold Outputs (the secret values): each test makes them on a loop of its own
    and runs them to the end, so no pending Output (nor a loop a mocked program closed)
    reaches the next test of this process (docs/architecture.md, "Process state")."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
    loop.close()


RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def workload(component: str, **extra: Any) -> dict[str, Any]:
    # As the wire brings it: every number a double.
    return {
        "component": component,
        "image": component,
        "ports": {"http": 8080.0},
        "resources": RESOURCES,
        **extra,
    }


def deployment(**changes: Any) -> SecureDeploymentInputs:
    args: dict[str, Any] = {
        "namespace": "ns",
        "image": "repo/web:1.2.3",
        "part_of": "app",
        "spec": workload("web"),
    }
    return SecureDeploymentInputs(**{**args, **changes})  # type: ignore[typeddict-item]


def network(**changes: Any) -> ZeroTrustNetworkInputs:
    args: dict[str, Any] = {
        "namespace": "ns",
        "part_of": "app",
        "workloads": {"web": workload("web", connectsTo=["api"]), "api": workload("api")},
    }
    return ZeroTrustNetworkInputs(**{**args, **changes})  # type: ignore[typeddict-item]


def test_wire_doubles_become_ints_where_whole() -> None:
    assert whole_numbers({"a": [2.0, 1.5, "3"], "b": {"c": 8080.0}, "d": True}) == {
        "a": [2, 1.5, "3"],
        "b": {"c": 8080},
        "d": True,
    }


def test_deployment_args_from_the_hosts_dict() -> None:
    args = deployment_args("web", deployment(skip_await=True, secret_env={"API_TOKEN": "t"}))
    assert args.spec.ports == {"http": 8080} and args.spec.replicas == 2
    assert args.version == "1.2.3" and args.skip_await is True and args.part_of == "app"
    assert list(args.secret_env) == ["API_TOKEN"] and args.secrets is not None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"spec": workload("web", replicas=0.0)}, "input `spec`: replicas: got 0"),
        ({"spec": workload("web", colour="blue")}, "input `spec`: colour: unknown key"),
        ({"secret_env": {"1BAD": "x"}}, "input `secretEnv`: 1BAD: got '1BAD'"),
        ({"part_of": "Shiksha Setu"}, "input `partOf`: expected a DNS-1123 label"),
        (
            {"spec": workload("web", env={"LOG_LEVEL": "x"}), "secret_env": {"LOG_LEVEL": "y"}},
            "input `secretEnv`: ['LOG_LEVEL'] also set in `spec.env`",
        ),
    ],
)
def test_bad_deployment_inputs_are_named(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as error:
        deployment_args("web", deployment(**changes))
    assert str(error.value).startswith("SecureDeployment 'web': invalid inputs:")
    assert problem in str(error.value), str(error.value)


def test_network_intent_from_the_hosts_dict() -> None:
    intent = network_intent("net", network(routes=[{"backend": "web", "port": "http"}]))
    assert set(intent.workloads) == {"web", "api"} and intent.workloads["web"].connects_to == ["api"]
    assert [(r.backend, r.port) for r in intent.routes] == [("web", "http")]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"workloads": {"web": workload("web", connectsTo=["apj"]), "api": workload("api")}},
            "input `workloads.web.connectsTo`: 'apj' names no workload (did you mean 'api'?",
        ),
        ({"routes": [{"backend": "wbe", "port": "http"}]}, "input `routes[0].backend`: names no workload"),
        (
            {"routes": [{"backend": "web", "port": "htp"}]},
            "input `routes[0].port`: workload 'web' has no such port",
        ),
        ({"network": {"dns": {"port": 0.0}}}, "input `network`: dns.port: got 0"),
        ({"part_of": "app/x"}, "input `partOf`: expected a DNS-1123 label"),
    ],
)
def test_bad_network_inputs_are_named(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as error:
        network_intent("net", network(**changes))
    assert str(error.value).startswith("ZeroTrustNetwork 'net': invalid inputs:")
    assert problem in str(error.value), str(error.value)


# The default routes send /api and /ws to `api`, / to `frontend`.
SERVICES = {"api": {"http": 8000.0, "metrics": 9102.0}, "frontend": {"http": 8080.0}}


def edge(**changes: Any) -> IngressWithHeadersInputs:
    args: dict[str, Any] = {"namespace": "ns", "part_of": "app", "services": SERVICES}
    return IngressWithHeadersInputs(**{**args, **changes})  # type: ignore[typeddict-item]


def test_edge_args_from_the_hosts_dict() -> None:
    routes = {
        "/api": {"backend": "api"},
        "/": {"backend": "frontend"},
        "/admin": {"backend": "api", "port": "metrics"},
    }
    args = edge_args("edge", edge(edge={"routes": routes, "hosts": ["learn.example.org"]}, skip_await=True))
    # The secure defaults, whatever the inputs: Gateway API, no CDN.
    assert args.ingress.mode == "gateway-api" and args.cdn.enabled is False
    assert args.edge.hosts == ["learn.example.org"] and args.skip_await is True
    standard = {p.path: (p.backend.service, p.backend.port) for p in args.paths.standard}
    assert standard == {"/api": ("api", 8000), "/": ("frontend", 8080), "/admin": ("api", 9102)}
    # Special paths go to the route covering them (the longest prefix), in their own class.
    assert [(p.path, p.backend.port) for p in args.paths.ml] == [("/api/v2/ml", 8000), ("/api/v2/chat", 8000)]
    assert {p.path for p in args.paths.streaming} == {"/api/v2/chat/stream", "/ws"}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"services": {"api": SERVICES["api"], "frontnd": {"http": 8080.0}}},
            "input `edge.routes[\"/\"].backend`: 'frontend' names no service (did you mean 'frontnd'?",
        ),
        (
            {"edge": {"routes": {"/": {"backend": "frontend", "port": "htp"}}}},
            "input `edge.routes[\"/\"].port`: workload 'frontend' has no such port",
        ),
        (
            {"edge": {"routes": {"/app": {"backend": "frontend"}}}},
            "input `edge.mlPaths`: '/api/v2/ml': no edge.routes prefix serves it",
        ),
        ({"services": {"api": {"http": 0.0}}}, "input `services`: api.http: got 0"),
        ({"edge": {"hosts": []}}, "input `edge`: hosts: got []"),
        ({"edge": {"cdn": {"enabled": True}}}, "input `edge`: cdn: unknown key"),
        ({"namespace": "Shiksha NS"}, "input `namespace`: expected a DNS-1123 label"),
        ({"part_of": "app/x"}, "input `partOf`: expected a DNS-1123 label"),
    ],
)
def test_bad_edge_inputs_are_named(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as error:
        edge_args("edge", edge(**changes))
    assert str(error.value).startswith("IngressWithHeaders 'edge': invalid inputs:")
    assert problem in str(error.value), str(error.value)


def test_an_output_namespace_is_refused() -> None:
    with pytest.raises(InputError, match="input `namespace`: must be a plain string"):
        edge_args("edge", edge(namespace=pulumi.Output.from_input("ns")))
