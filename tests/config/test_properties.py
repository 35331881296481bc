"""Property: for any stack config, the gate refuses it with a ConfigError that names keys, or
the program registers without an exception and every artifact passes its real consumer.

Configs are drawn from the model's own JSON schema (tests/config/strategies.py), with
hostile strings and numbers among the values. For an accepted config:
  - Kubernetes target: the program runs under Pulumi's mocks; every object passes
    kubernetes-validate strict and the API server's naming and range rules; with
    monitoring on, prometheus.yml and its rules pass `promtool check config` and
    alertmanager.yml passes `amtool check-config`;
  - docker-host target: the program runs under mocks; nginx.conf passes `nginx -t`;
  - both targets: the rendered PostgreSQL command line's settings pass PostgreSQL's own
    parser (`postgres -C` on one shared initdb'd data directory); the rendered Redis files
    (the broker, and the cache when enabled; half of the examples enable it) load in a real
    redis-server at their container paths, which answers PING for the application user with
    the test secret and refuses it unauthenticated.

Example counts are bounded (the `ci` profile); SHIKSHA_PROPERTY_EXAMPLES raises them.
Each test prints how many examples per second it ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import redis as redis_py
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from components.config.errors import ConfigError
from components.config.estate import EstateConfig
from components.config.loader import parse_estate
from components.datastores.redis.settings import BROKER, CACHE, REDIS_APP_USER
from components.render.nginx import Listen, NginxPaths, render_nginx_conf
from tests.config import apiserver_rules
from tests.config.strategies import defaults, overrides
from tests.datastores.rendered import from_snapshot
from tests.datastores.servers import SettingsChecker, postgres_settings_checker, redis
from tests.monitoring.conftest import render_to
from tests.monitoring.discovery import as_static, with_serviceaccount
from tests.nginx.harness import make_certificate, nginx_user
from tests.support.program import PROJECT, TEST_SECRETS, run_program
from tests.support.tools import require_tool

KUBERNETES_VERSION = "1.34.0"
CRD_GROUPS = {"gateway.networking.k8s.io", "gateway.envoyproxy.io"}
EXAMPLES = int(os.environ.get("SHIKSHA_PROPERTY_EXAMPLES", "25"))

settings.register_profile(
    "estate-properties",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 25,
    database=None,
    # Shrinking a failure of a whole program run takes minutes: the drawn example is shown as is.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("estate-properties")


class Tally:
    """Counts examples and how they ended, and reports the rate when the test is done."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.outcomes: dict[str, int] = {}

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def report(self, name: str) -> str:
        elapsed = time.monotonic() - self.started
        total = sum(self.outcomes.values())
        return f"{name}: {total} examples in {elapsed:.1f} s ({total / elapsed:.2f}/s); {self.outcomes}"


@pytest.fixture
def tally(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[Tally]:
    counter = Tally()
    yield counter
    with capsys.disabled():
        print("\n" + counter.report(request.node.name))


def _gate(values: dict[str, Any]) -> EstateConfig | None:
    """The model's verdict: the config, or None after checking the refusal names keys."""
    try:
        return parse_estate(values)
    except ConfigError as error:
        assert error.problems, "a refusal lists its problems"
        for problem in error.problems:
            assert problem.startswith(f"{PROJECT}:"), problem
        return None


def _run(values: dict[str, Any]) -> Any:
    snapshot = run_program(
        "prod", overrides={f"{PROJECT}:{k}": v for k, v in values.items()}, raise_errors=False
    )
    assert snapshot.error is None, f"{type(snapshot.error).__name__}: {snapshot.error}"
    return snapshot


def _kubernetes_problems(snapshot: Any) -> list[str]:
    found = []
    for resource in snapshot.kubernetes_objects():
        manifest = resource.manifest
        where = f"{resource.kind}/{manifest.get('metadata', {}).get('name')}"
        found += [f"{where}: {p}" for p in apiserver_rules.problems(manifest)]
        if manifest["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            found.append(f"{where}: {error.message} at {list(error.path)}")
    return found


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _monitoring_problems(config: EstateConfig, root: Path) -> list[str]:
    if root.exists():
        shutil.rmtree(root)
    rendered = render_to(root, config)
    serviceaccount = root / "serviceaccount"
    serviceaccount.mkdir()
    (serviceaccount / "token").write_text("stand-in")
    (serviceaccount / "ca.crt").write_text("stand-in")
    # Debian's promtool has no Kubernetes discovery: the same jobs with static targets.
    adjusted = as_static(
        with_serviceaccount(yaml.safe_load(rendered.prometheus_yml.read_text()), str(serviceaccount)),
        {},
        "127.0.0.1:9",
        config.namespace.name,
    )
    checked = rendered.prometheus_yml.with_name("prometheus-checked.yml")
    checked.write_text(yaml.safe_dump(adjusted, sort_keys=False))
    found = []
    result = _tool(require_tool("promtool"), "check", "config", str(checked))
    if result.returncode != 0:
        found.append(f"promtool check config: {result.stdout}{result.stderr}")
    result = _tool(require_tool("amtool"), "check-config", str(rendered.alertmanager_yml))
    if result.returncode != 0:
        found.append(f"amtool check-config: {result.stdout}{result.stderr}")
    return found


def _nginx_problems(config: EstateConfig, directory: Path, cert: tuple[Path, Path]) -> list[str]:
    (directory / "temp").mkdir(parents=True, exist_ok=True)
    paths = NginxPaths(
        pid=str(directory / "nginx.pid"),
        cert=str(cert[0]),
        key=str(cert[1]),
        trusted_cert=str(cert[0]),
        temp_dir=str(directory / "temp"),
        access_log=str(directory / "access.log"),
        error_log=str(directory / "error.log"),
    )
    # Every backend on a loopback address that needs no name lookup; the rest as configured.
    upstreams = {route.backend: "127.0.0.1:9" for route in config.edge.route_list}
    conf = directory / "nginx.conf"
    conf.write_text(
        render_nginx_conf(
            config.edge,
            config.docker_host.nginx,
            upstreams,
            paths,
            Listen(http_port=18080, https_port=18443, address="127.0.0.1", public_https_port=18443),
            user=nginx_user(),
        )
    )
    result = _tool(require_tool("nginx"), "-t", "-q", "-p", str(directory), "-c", str(conf))
    return [] if result.returncode == 0 else [f"nginx -t: {result.stderr}"]


POSTGRES = "postgres"


def _postgres_problems(config: EstateConfig, snapshot: Any, target: str, pg: SettingsChecker) -> list[str]:
    """The rendered server command line's settings, through PostgreSQL's own parser."""
    if POSTGRES not in config.workloads or not config.workloads[POSTGRES].enabled:
        return []
    command = from_snapshot(snapshot, target, POSTGRES).command
    return pg.problems(command[command.index("postgres") + 1 :])


REDIS_PASSWORDS = {BROKER: TEST_SECRETS["redisPassword"], CACHE: TEST_SECRETS["redisCachePassword"]}


def _redis_data_dir(config: EstateConfig, workload: str) -> str:
    spec = config.workloads[workload]
    return spec.storage.mount_path if spec.storage is not None else spec.writable_paths[0]


def _redis_problems(config: EstateConfig, snapshot: Any, target: str, scratch: Path) -> list[str]:
    """Each enabled Redis, its rendered redis.conf and ACL file at their container paths, in a
    real redis-server (own root: the data directory may be any path the config names)."""
    found = []
    for workload in (BROKER, CACHE):
        if workload not in config.workloads or not config.workloads[workload].enabled:
            continue
        rendered = from_snapshot(snapshot, target, workload)
        root = scratch / f"root-{workload}"
        root.mkdir(parents=True, exist_ok=True)
        log = scratch / f"{workload}.log"
        log.unlink(missing_ok=True)
        try:
            with redis(
                rendered.files, rendered.command, _redis_data_dir(config, workload), log, own_root=root
            ) as server:
                if server.client(REDIS_APP_USER, REDIS_PASSWORDS[workload]).ping() is not True:
                    found.append(f"{workload}: the application user's PING did not answer PONG")
                try:
                    server.client(None, None).ping()
                    found.append(f"{workload}: an unauthenticated PING was answered")
                except redis_py.exceptions.AuthenticationError:
                    pass
        except (AssertionError, redis_py.exceptions.RedisError) as error:
            found.append(f"{workload}: redis-server: {error}")
    return found


def _accepted_kubernetes(config: EstateConfig, snapshot: Any, scratch: Path) -> list[str]:
    problems = _kubernetes_problems(snapshot)
    if config.monitoring.enabled:
        problems += _monitoring_problems(config, scratch / "monitoring")
    return problems


def _accepted_docker_host(config: EstateConfig, snapshot: Any, scratch: Path) -> list[str]:
    assert snapshot.kubernetes_objects() == []
    return _nginx_problems(config, scratch / "nginx", make_certificate_once(scratch))


def make_certificate_once(scratch: Path) -> tuple[Path, Path]:
    directory = scratch / "tls"
    if not directory.exists():
        directory.mkdir(parents=True)
        make_certificate(directory)
    return directory / "tls.crt", directory / "tls.key"


def _with_cache(values: dict[str, Any]) -> dict[str, Any]:
    """The optional Redis cache enabled (off by default, so a drawn change rarely enables it)."""
    workloads = values.get("workloads", defaults()["workloads"])
    if not isinstance(workloads, dict) or not isinstance(workloads.get(CACHE), dict):
        return values
    return {**values, "workloads": {**workloads, CACHE: {**workloads[CACHE], "enabled": True}}}


@pytest.fixture(scope="module")
def pg_settings() -> Iterator[SettingsChecker]:
    with postgres_settings_checker() as checker:
        yield checker


@pytest.mark.parametrize(
    ("target", "judge"),
    [("kubernetes", _accepted_kubernetes), ("docker-host", _accepted_docker_host)],
)
def test_estate_is_refused_or_valid_everywhere(
    target: str,
    judge: Callable[[EstateConfig, Any, Path], list[str]],
    pg_settings: SettingsChecker,
    tmp_path: Path,
    tally: Tally,
) -> None:
    @PROFILE
    @given(overrides(targets=(target,)), st.booleans())
    def check(values: dict[str, Any], with_cache: bool) -> None:
        if with_cache:
            values = _with_cache(values)
        config = _gate(values)
        if config is None:
            tally.count("refused")
            return
        snapshot = _run(values)
        tally.count("accepted")
        problems = judge(config, snapshot, tmp_path)
        problems += _postgres_problems(config, snapshot, target, pg_settings)
        problems += _redis_problems(config, snapshot, target, tmp_path)
        assert problems == [], values

    check()
