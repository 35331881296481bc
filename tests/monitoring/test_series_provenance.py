"""Every series an alert reads comes from something the estate deploys, proven by a real scrape.

Each rendered rule's PromQL is parsed (promql-parser, the gate's parser) and every vector
selector in it listed. The estate then runs for real (live.py): the broker and PostgreSQL
from their rendered files, redis_exporter v1.62.0 (the pinned image's version) and Debian's
postgres_exporter with their Deployments' environment, the blackbox exporter with its rendered
modules, Prometheus with the rendered prometheus.yml (targets local, as discovery would find
them). Each selector, with its label matchers, must match a series Prometheus scraped from a
deployed job (`up`: any job, Prometheus writes it). kube-state-metrics' series are proven
against a real kube-apiserver in tests/apiserver/test_kube_state_metrics.py; the
application's and the kubelet's, which no test can scrape, must be named in docs/monitoring.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from components.datastores.postgres.settings import PG_REPLICATION_ROLE
from tests.datastores.servers import PG_BIN
from tests.support.program import TEST_SECRETS
from tests.support.tools import free_port, require_tool

from .live import (
    Estate,
    metrics_text,
    permission_errors,
    redis_exporter_env,
    render_estate,
    self_signed,
    stack_values,
    start_estate,
    tls_site,
)
from .selectors import Selector, rule_selectors, selectors_of
from .servers import get_json, running, wait_for

pytestmark = [pytest.mark.prometheus, pytest.mark.slow, pytest.mark.xdist_group("provenance")]

DOC = Path(__file__).resolve().parents[2] / "docs" / "monitoring.md"
# Scrape jobs of components the estate deploys, in the rendered prometheus.yml.
DEPLOYED_JOBS = {"prometheus", "redis-exporter", "postgres-exporter", "blackbox", "kube-state-metrics"}


def documented(section: str) -> set[str]:
    """The series named in the table under `## <section>` of docs/monitoring.md."""
    text = DOC.read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    return set(re.findall(r"^\| `([^`]+)` \|", body, re.MULTILINE))


# ------------------------------------------------------------------ the estate, for real


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    root = tmp_path_factory.mktemp("provenance")
    cert, key = self_signed(root, days=90)
    with contextlib.ExitStack() as stack:
        site = stack.enter_context(tls_site(cert, key))
        values = stack_values(
            {
                # One probe the test can reach: HTTPS, so the TLS expiry series exists too.
                "shiksha-setu:postgres": {"readReplicas": 1},
                "shiksha-setu:monitoring": {
                    "blackbox": {"targets": {"public-site": {"url": site, "module": "https_2xx"}}}
                },
            }
        )
        rendered = render_estate(values)
        live = start_estate(stack, root / "estate", rendered, probe_ca=cert)
        # A WAL receiver as the replication role, as a read replica connects: a row in
        # pg_stat_replication (PostgresReplicaLagging's series) on the one rendered server.
        receiver = [
            str(PG_BIN / "pg_receivewal"), "--no-password", "-h", "127.0.0.1", "-p", str(live.pg.port),
            "-U", PG_REPLICATION_ROLE, "-D", str(root / "wal"),
        ]  # fmt: skip
        (root / "wal").mkdir()
        stack.enter_context(
            running(
                receiver,
                root / "pg_receivewal.log",
                env={"PGPASSWORD": TEST_SECRETS["postgresReplicationPassword"]},
            )
        )
        # Real traffic: a queued task, and the broker filled until it refuses a write, so
        # INFO's errorstats carry OOM (RedisBrokerRefusingWrites reads err="OOM").
        app = live.broker.client("app", TEST_SECRETS["redisPassword"])
        app.lpush("celery", "task")
        with pytest.raises(redis_py.exceptions.OutOfMemoryError):
            for index in range(100_000):
                app.lpush("filler", f"{index}:{'x' * 1024}")
        yield live


@pytest.fixture(scope="module")
def selectors(estate: Estate) -> list[Selector]:
    rules = {p: c for p, c in estate.rendered["prometheus"].files.items() if "/rules/" in p}
    found = rule_selectors(rules)
    assert len({s.alert for s in found}) >= 25, found
    return found


def _scraped(estate: Estate, selector: Selector) -> set[str]:
    return {r["metric"].get("job", "") for r in estate.query(f"group by (job) ({selector.promql})")}


def test_every_alert_series_is_produced_by_a_deployed_component(
    estate: Estate, selectors: list[Selector]
) -> None:
    application = documented("Metrics the application exports")
    kubelet = documented("Series the kubelet exports")
    local = {"prometheus", "redis-exporter", "postgres-exporter", "blackbox"}
    wait_for(
        f"the targets of {sorted(local)} up",
        lambda: {t["labels"]["job"] for t in estate.targets() if t["health"] == "up"} >= local,
        60,
        estate.logs["prometheus"],
    )
    scrape_jobs = {t["labels"]["job"] for t in estate.targets()}
    unproduced = []
    for selector in selectors:
        if selector.name in application or selector.name in kubelet:
            continue
        if selector.name.startswith("kube_"):
            # Proven against a real kube-apiserver: tests/apiserver/test_kube_state_metrics.py.
            assert "kube-state-metrics" in scrape_jobs, scrape_jobs
            continue

        def produced(selector: Selector = selector) -> set[str]:
            jobs = _scraped(estate, selector)
            # Prometheus itself writes `up` for every target of every job it scrapes.
            return jobs if selector.name == "up" else jobs & DEPLOYED_JOBS

        try:
            wait_for(f"{selector.promql}", produced, 30)
        except AssertionError:
            unproduced.append(f"{selector.alert}: {selector.promql} (no scraped series)")
    assert not unproduced, "alert series nothing deployed produces:\n" + "\n".join(unproduced)


def test_every_documented_series_is_read_by_an_alert(selectors: list[Selector]) -> None:
    """The doc lists exactly the application's series the alerts read: nothing stale."""
    used = {s.name for s in selectors}
    for section in ("Metrics the application exports", "Series the kubelet exports"):
        listed = documented(section)
        assert listed, section
        assert listed <= used, f"{section} lists series no alert reads: {listed - used}"


def test_a_series_nothing_exports_is_caught(estate: Estate) -> None:
    """The check above can fail: the series HighTaskQueueDepth read before (no Celery
    exporter is deployed) matches nothing, and neither does a queue key nobody checks."""
    for expr in (
        "sum by (queue_name) (celery_queue_length) > 1000",
        'redis_key_size{key="celery-task-meta-1"}',
    ):
        (selector,) = selectors_of("Planted", expr)
        assert _scraped(estate, selector) == set(), selector.promql


def test_the_queue_depth_is_the_broker_list_length(estate: Estate) -> None:
    app = estate.broker.client("app", TEST_SECRETS["redisPassword"])
    depth = app.llen("celery")
    assert depth >= 1

    def seen() -> list[Any]:
        result = estate.query('redis_key_size{job="redis-exporter",db="db0",key="celery"}')
        return result if result and float(result[0]["value"][1]) == depth else []

    wait_for(f"redis_key_size of celery == LLEN celery ({depth})", seen, 30, estate.logs["redis-exporter"])


def test_exporters_log_no_permission_error(estate: Estate) -> None:
    """redis_exporter runs with --debug, so even the errors it swallows are in its log."""
    wait_for("two scrapes of each exporter", lambda: estate.query("scrape_samples_scraped") and True, 30)
    for job in ("redis-exporter", "postgres-exporter"):
        log = estate.logs[job]
        assert log.read_text(), f"{job} logged nothing"
        assert permission_errors(log) == [], f"{job}: {permission_errors(log)}"
    assert "c.Do() - running command: LLEN" in estate.logs["redis-exporter"].read_text()


def test_a_permission_error_would_show_in_the_log(estate: Estate, tmp_path: Path) -> None:
    """The check above can fail: the same exporter, asked for a key outside the monitor
    user's read access, logs NOPERM."""
    rendered = estate.rendered["redis-exporter"]
    address = f"127.0.0.1:{free_port()}"
    env = redis_exporter_env(rendered, estate.broker, address, debug=True)
    env["REDIS_EXPORTER_CHECK_SINGLE_KEYS"] += ",db0=celery-task-meta-1"
    log = tmp_path / "redis-exporter.log"
    with running([require_tool("redis_exporter")], log, env=env):
        wait_for("a scrape", lambda: "redis_up 1" in metrics_text(address), 30, log)
        wait_for("NOPERM in the log", lambda: permission_errors(log), 10, log)


def test_prometheus_scrapes_itself(estate: Estate) -> None:
    # Prometheus scrapes itself on its own schedule: the first scrape may still be due.
    found = wait_for("Prometheus's own scrape", lambda: estate.query('up{job="prometheus"} == 1'), 60)
    assert {r["metric"]["job"] for r in found} == {"prometheus"}
    assert get_json(f"{estate.prometheus}/label/__name__/values")["data"]
