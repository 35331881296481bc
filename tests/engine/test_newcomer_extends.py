"""The newcomer of issue 24, end to end through the real engine: a `notifier` workload with
one route, a metrics port, a Redis connection and one alert, written as only those entries
into a copy of the local stack's config (the two walkthroughs of docs/walkthroughs.md, as
written). `pulumi up` renders it; `/ws` still goes to the API, and every object of a
baseline `up` without the additions is still there, changed only by gaining entries: no
default route, connection (NetworkPolicy) or alert moved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.support.additions import by_identity, changes_beyond_additions
from tests.support.walkthroughs import walkthrough_secrets, walkthroughs

from .conftest import Project

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("engine")]


def _manifests(project: Project) -> list[dict[str, Any]]:
    return [doc for path in project.rendered() for doc in yaml.safe_load_all(path.read_text()) if doc]


def _route_backends(objects: dict[tuple[str, str, str], Any]) -> dict[str, str]:
    route = objects["HTTPRoute", "shiksha-setu", "shiksha-setu"]
    return {
        match["path"]["value"]: backend["name"]
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
        for backend in rule.get("backendRefs", [])
    }


def test_a_newcomer_adds_a_workload_and_an_alert_and_only_adds(make_project: Callable[..., Project]) -> None:
    additions: dict[str, Any] = {}
    for config in walkthroughs().values():
        assert not set(config) & set(additions), "two walkthroughs set one top-level key"
        additions.update(config)

    def add(config: dict[str, Any]) -> None:
        assert not set(additions) & set(config), "the additions would replace a key of the stack"
        config.update(additions)

    baseline = make_project(name="baseline")
    up = baseline.stack_script("local", "up")
    assert up.returncode == 0, up.output[-6000:]
    extended = make_project(add, name="extended")
    # The secrets the page has the reader set, set as the page says: through the engine.
    extended.select("local")
    for key in (key for keys in walkthrough_secrets().values() for key in keys):
        extended.pulumi("config", "set", "--secret", key, f"newcomer-{key}-Secret-7")
    up = extended.stack_script("local", "up")
    assert up.returncode == 0, up.output[-6000:]

    before, after = _manifests(baseline), _manifests(extended)
    objects = by_identity(after)
    for kind in ("Deployment", "Service", "NetworkPolicy"):
        name = "notifier-netpol" if kind == "NetworkPolicy" else "notifier"
        assert (kind, "shiksha-setu", name) in objects, f"no {kind} {name} in rendered/local"
    routes = _route_backends(objects)
    assert routes["/api/v1/notify"] == "notifier"
    assert routes["/ws"] == routes["/api"] == "api" and routes["/"] == "frontend"
    assert routes == {**_route_backends(by_identity(before)), "/api/v1/notify": "notifier"}
    rules = objects["ConfigMap", "shiksha-setu", "prometheus-rules"]["data"]
    assert "NotifierDeliveryFailing" in rules["notifier.yml"]

    assert changes_beyond_additions(before, after) == []


def test_a_null_in_the_stack_file_reaches_the_program_and_removes_the_default(
    make_project: Callable[..., Project],
) -> None:
    # Pulumi keeps a YAML null of an object value as JSON null: the program sees the removal.
    def without_ws(config: dict[str, Any]) -> None:
        config["shiksha-setu:edge"] = {"routes": {"/ws": None}, "websocketPathsRemove": ["/ws"]}

    project = make_project(without_ws)
    assert "/ws: null" in (project.dir / "Pulumi.local.yaml").read_text()
    up = project.stack_script("local", "up")
    assert up.returncode == 0, up.output[-6000:]
    routes = _route_backends(by_identity(_manifests(project)))
    assert "/ws" not in routes
    assert routes["/api"] == "api" and routes["/"] == "frontend"
