"""The plan's route classification (components/config/routing.py) agrees with a real nginx:
for generated route prefixes and request paths, the route `serving_route` names is the
prefix location nginx answers from, and a path it leaves uncovered nginx answers with 404."""

from __future__ import annotations

import http.client
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.edge import Route
from components.config.loader import parse_estate
from components.config.routing import covers, serving_route
from components.render.nginx import NginxPaths, render_nginx_conf
from components.render.quoting import nginx_string
from components.targets.kubernetes import edge_plan
from tests.nginx import harness
from tests.support.ports import free_port
from tests.support.tools import require_tool

pytestmark = pytest.mark.nginx

# Few letters and many slashes, so prefixes often share a start and end on and off a path
# element ("/a" and "/ab", "/a/" and "/a"). Normalised paths only (no "//", no dot
# segments): nginx merges and resolves those before it chooses a location.
_PATH = st.text(alphabet="ab/-", max_size=6).map(lambda tail: "/" + tail).filter(lambda p: "//" not in p)


def _conf(directory: Path, port: int, prefixes: list[str]) -> Path:
    user = harness.nginx_user()
    lines = [
        *([f"user {user};"] if user else []),
        f"pid {directory}/nginx.pid;",
        f"error_log {directory}/error.log warn;",
        "events { worker_connections 64; }",
        "http {",
        "    access_log off;",
        *(
            f"    {kind}_temp_path {directory}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        "    server {",
        f"        listen 127.0.0.1:{port};",
        # Written as the renderer writes a route's location (components/render/nginx.py).
        *(f'        location {nginx_string(p, "p")} {{ return 200 "{i}"; }}' for i, p in enumerate(prefixes)),
        "    }",
        "}",
    ]
    conf = directory / "nginx.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _nginx_choices(nginx: str, prefixes: list[str], paths: list[str]) -> dict[str, str | None]:
    """The prefix whose location answered each path, None for nginx's 404."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        port = free_port()
        conf = _conf(directory, port, prefixes)
        checked = subprocess.run([nginx, "-t", "-p", tmp, "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t refused:\n{conf.read_text()}\n{checked.stderr}"
        chosen: dict[str, str | None] = {}
        # running_nginx waits for its second port; this server listens on one only.
        with harness.running_nginx(nginx, conf, port, port):
            for path in paths:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    connection.request("GET", path)
                    response = connection.getresponse()
                    body = response.read().decode()
                finally:
                    connection.close()
                assert response.status in (200, 404), f"GET {path}: nginx answered {response.status} {body}"
                chosen[path] = prefixes[int(body)] if response.status == 200 else None
        return chosen


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    return require_tool("nginx")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefixes=st.lists(_PATH, min_size=1, max_size=6, unique=True),
    paths=st.lists(_PATH, min_size=1, max_size=8, unique=True),
)
def test_serving_route_is_the_location_nginx_answers_from(
    nginx_bin: str, prefixes: list[str], paths: list[str]
) -> None:
    routes = [Route(prefix, f"backend-{index}") for index, prefix in enumerate(prefixes)]
    nginx = _nginx_choices(nginx_bin, prefixes, paths)
    ours = {path: (route.path if (route := serving_route(routes, path)) else None) for path in paths}
    assert ours == nginx, f"routes {prefixes}: serving_route {ours} but nginx chose {nginx}"


def test_a_prefix_covers_across_a_path_element(nginx_bin: str) -> None:
    """The case the two meanings of "covers" disagree on, spelled out: nginx sends /apix
    to /api, and /api to "/" when the only longer route is /api/."""
    prefixes = ["/", "/api", "/api/"]
    assert _nginx_choices(nginx_bin, prefixes, ["/apix", "/api", "/api/v2"]) == {
        "/apix": "/api",
        "/api": "/api",
        "/api/v2": "/api/",
    }
    assert covers("/api", "/apix") and not covers("/api/", "/api")


def test_both_edges_send_a_classified_path_to_the_route_nginx_would() -> None:
    """A stream path under /apix is covered by the /api route (a string prefix), not by "/":
    the gate takes it, and NGINX and the Kubernetes edge both send it to /api's backend."""
    config = parse_estate({"target": "docker-host", "edge": {"streamPathsAdd": ["/apix/stream"]}})
    routes = {route.path: route.backend for route in config.edge.route_list}
    assert routes["/api"] != routes["/"], routes
    streaming = {p.path: p.backend.service for p in edge_plan(config).streaming}
    assert streaming["/apix/stream"] == routes["/api"], streaming
    paths = NginxPaths(pid="/p", cert="/c", key="/k", trusted_cert="/t", temp_dir="/tmp")
    upstreams = {backend: f"{backend}:80" for backend in routes.values()}
    text = render_nginx_conf(config.edge, config.docker_host.nginx, upstreams, paths)
    location = text.split('location "/apix/stream" {', 1)[1].split("}", 2)[1]
    assert f'proxy_pass "http://{routes["/api"]}_upstream";' in location, location
