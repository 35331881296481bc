"""`edge.routes` is a map keyed by path, merged over the default routes (issue 24): adding
one route keeps every default, a default goes only by writing `null` for its path, and the
old list form is refused with the map form it means, ready to paste."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from tests.support.program import Snapshot, run_program

P = "shiksha-setu"
# The production routes as the platform changelog states them; written here, not read from
# the model, so a changed default fails this file.
DEFAULT_FACTS = [("/api", "api", "http"), ("/ws", "api", "http"), ("/", "frontend", "http")]
NOTIFIER = {
    "component": "notifier",
    "image": "backend",
    "ports": {"http": 8080},
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
}


def _routes(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r.path, r.backend, r.port) for r in parse_estate(values).edge.route_list]


def _error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_estate(values)
    return str(caught.value)


def test_the_defaults_route_ws_and_api_to_api_and_the_rest_to_the_frontend() -> None:
    assert _routes({}) == DEFAULT_FACTS


def test_one_new_route_is_added_and_every_default_stays() -> None:
    values = {
        "workloads": {"notifier": NOTIFIER},
        "edge": {"routes": {"/api/v1/notify": {"backend": "notifier", "port": "http"}}},
    }
    assert _routes(values) == [*DEFAULT_FACTS, ("/api/v1/notify", "notifier", "http")]


def test_a_null_removes_exactly_that_default() -> None:
    assert _routes({"edge": {"routes": {"/ws": None}, "websocketPathsRemove": ["/ws"]}}) == [
        ("/api", "api", "http"),
        ("/", "frontend", "http"),
    ]


def test_changing_a_default_names_its_path_and_keeps_its_place_and_port() -> None:
    values = {"workloads": {"notifier": NOTIFIER}, "edge": {"routes": {"/": {"backend": "notifier"}}}}
    assert _routes(values) == [("/api", "api", "http"), ("/ws", "api", "http"), ("/", "notifier", "http")]


def test_the_old_list_is_refused_with_the_map_it_means_which_pastes_as_it_is() -> None:
    # The user of issue 24 restated /api and / and forgot /ws.
    listed = [{"path": "/api", "backend": "api"}, {"path": "/", "backend": "frontend", "port": "http"}]
    message = _error({"edge": {"routes": listed}})
    assert f"{P}:edge.routes: got " in message
    assert "the defaults you did not list stay (/ws)" in message
    shown = re.search(r"write `(routes: .*?)`", message)
    assert shown is not None, message
    pasted = yaml.safe_load(shown.group(1))
    assert pasted == {"routes": {"/api": {"backend": "api"}, "/": {"backend": "frontend", "port": "http"}}}
    # Pasted back, it is accepted, and /ws still goes to the API.
    assert _routes({"edge": pasted}) == DEFAULT_FACTS


@pytest.mark.parametrize(
    ("routes", "key", "words"),
    [
        ({"/wss": None}, 'edge.routes["/wss"]: got None', "no default named '/wss' (did you mean '/ws'?)"),
        ({"/api": {"backend": "ap"}}, "edge.routes[\"/api\"].backend: got 'ap'", "names no workload"),
        ({"/docs": {"backend": "frontend", "port": "web"}}, 'edge.routes["/docs"].port', "no such port"),
        ({"api": {"backend": "api"}}, "edge.routes.api: got 'api'", "URL path"),
        ({"/x": "frontend"}, 'edge.routes["/x"]', "valid dictionary"),
    ],
)
def test_bad_route_entries_name_their_path(routes: dict[str, Any], key: str, words: str) -> None:
    message = _error({"edge": {"routes": routes}})
    assert f"{P}:{key}" in message, message
    assert words in message, message


def _http_route_backends(snapshot: Snapshot) -> dict[str, str]:
    route = snapshot.one("HTTPRoute", "shiksha-setu").inputs
    return {
        match["path"]["value"]: backend["name"]
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
        for backend in rule.get("backendRefs", [])
    }


def test_through_the_program_a_new_route_leaves_every_default_backend_as_it_was() -> None:
    baseline = _http_route_backends(run_program("prod"))
    added = _http_route_backends(
        run_program(
            "prod",
            overrides={
                f"{P}:workloads": {"notifier": NOTIFIER},
                f"{P}:edge": {"routes": {"/api/v1/notify": {"backend": "notifier"}}},
            },
        )
    )
    assert baseline["/ws"] == baseline["/api"] == "api" and baseline["/"] == "frontend"
    assert added == {**baseline, "/api/v1/notify": "notifier"}


def test_through_the_program_a_null_reaches_the_model_as_a_removal() -> None:
    # The stack value goes through the same JSON the engine hands the program.
    snapshot = run_program(
        "prod",
        overrides={f"{P}:edge": {"routes": {"/ws": None}, "websocketPathsRemove": ["/ws"]}},
    )
    backends = _http_route_backends(snapshot)
    assert "/ws" not in backends and backends["/api"] == "api"
