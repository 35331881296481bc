"""Each component takes only its own Args and names its own argument when one is wrong: a
program that is not this estate gets an error about what it passed, never about a stack key
it does not have. Run under mocks (tests/support/program.py), one component per program."""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest

from components.config.cdn import CdnSpec
from components.config.edge import EdgeSpec
from components.config.loader import parse_estate
from components.config.secrets import EstateSecrets
from components.docker.containers import workload_containers
from components.docker.nginx import nginx_container
from components.docker_host import DockerHost, DockerHostArgs
from components.ingress_with_headers import IngressWithHeaders, IngressWithHeadersArgs
from components.kube.ingress import Backend, EdgePath, EdgePlan
from components.logging_stack import LoggingStack, LoggingStackArgs
from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.plan.estate import plan
from components.resources.secret_objects import SecretSink
from components.secure_deployment import SecureDeployment, SecureDeploymentArgs
from components.values.secret_text import secret
from tests.support.program import ROOT, run_program

ESTATE = parse_estate({})
PLAN = plan(ESTATE)
SINK = SecretSink(ESTATE.secrets, EstateSecrets({}))
EDGE = EdgeSpec(hosts=["app.example.test"], routes={"/": {"backend": "web", "port": "http"}}, ml_paths=[],
                stream_paths=[], websocket_paths=[])  # fmt: skip
PATHS = EdgePlan(standard=[EdgePath("/", Backend("web", 8080))], ml=[], streaming=[])


def _error(program: Callable[[], object]) -> str:
    snapshot = run_program(program=lambda: (program(), None)[1], raise_errors=False)
    assert snapshot.error is not None, "the component accepted its wrong argument"
    return str(snapshot.error)


def _deployment_without_sink() -> object:
    spec = ESTATE.workloads["api"]
    args = SecureDeploymentArgs(spec, "ns", "repo/api:1.0.0", "app", secret_env={"TOKEN": secret("token")})
    return SecureDeployment("api", args)


def _edge_with_cdn_and_no_value() -> object:
    cdn = CdnSpec(enabled=True, allowed_ranges=["203.0.113.0/24"], origin_host="origin.example.test")
    return IngressWithHeaders("edge", IngressWithHeadersArgs("ns", EDGE, PATHS, "app", cdn=cdn))


def _monitoring_without_alertmanager() -> object:
    workloads = {"prometheus": PLAN.monitoring["prometheus"]}
    return MonitoringStack("monitoring", MonitoringStackArgs("ns", workloads, SINK, "app"))


def _logging_of_no_namespace() -> object:
    spec = parse_estate(
        {"logging": {"enabled": True, "endpoint": "https://logs.example.org/otlp/v1/logs",
                     "endpointCidrs": ["203.0.113.0/24"]}}
    ).logging  # fmt: skip
    return LoggingStack("logging", LoggingStackArgs(spec, (), "app", SINK))


def _docker_host_without_image_references() -> object:
    config = parse_estate({"target": "docker-host"})
    estate = plan(config)
    containers = workload_containers(estate.platform, config, ())
    edge = nginx_container(config, estate.routes, {c.resource_name for c in containers})
    return DockerHost("host", DockerHostArgs(containers, edge, "app", "app"))


@pytest.mark.parametrize(
    ("program", "named"),
    [
        (_deployment_without_sink, "SecureDeploymentArgs.secrets"),
        (_edge_with_cdn_and_no_value, "IngressWithHeadersArgs.cdn_origin_auth"),
        (_monitoring_without_alertmanager, "MonitoringStackArgs.workloads has no alertmanager"),
        (_logging_of_no_namespace, "LoggingStackArgs.shipped_namespaces"),
        (_docker_host_without_image_references, "DockerHostArgs.images has no reference for image key"),
    ],
    ids=["SecureDeployment", "IngressWithHeaders", "MonitoringStack", "LoggingStack", "DockerHost"],
)
def test_a_component_names_its_own_argument(program: Callable[[], object], named: str) -> None:
    message = _error(program)
    assert named in message, message
    # Not the estate's stack keys: the component's caller may have no stack config at all.
    assert "shiksha-setu:" not in message, message


ESTATE_NAMES = {"EstateConfig", "EstatePlan", "load_estate", "parse_estate"}


def _estate_mentions(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ESTATE_NAMES:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.alias) and node.name in ESTATE_NAMES:
            found.append(f"{node.lineno}: import {node.name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "shiksha-setu:" in node.value:
            found.append(f"{node.lineno}: {node.value!r}")
    return found


def test_no_component_module_knows_the_estate() -> None:
    """Each module of components/ that defines a ComponentResource: no name of the estate's
    model or plan, and no stack key in a string (its Args, its constructor, its helpers)."""
    modules = []
    for path in sorted((ROOT / "components").glob("*.py")):
        tree = ast.parse(path.read_text())
        bases = [ast.unparse(b) for node in tree.body if isinstance(node, ast.ClassDef) for b in node.bases]
        if "pulumi.ComponentResource" in bases:
            modules.append(path.name)
            assert _estate_mentions(tree) == [], path.name
    assert len(modules) == 7, modules


def test_the_estate_check_finds_a_mention() -> None:
    tree = ast.parse(
        "from components.config.estate import EstateConfig\nx = 'shiksha-setu:cdnOriginAuth: no'\n"
    )
    assert _estate_mentions(tree) == ["1: import EstateConfig", "2: 'shiksha-setu:cdnOriginAuth: no'"]
