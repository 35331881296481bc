"""The generated config on a real Prometheus: rules load, the API job's target is up.

Only target addresses change (see discovery.py): each Kubernetes-discovered job gets the
address the test serves, carrying the metadata discovery would attach, so relabeling,
metric dropping and rule loading run exactly as generated. The kubelet jobs are left out:
their CA file and token exist only inside a pod, and Prometheus refuses to start without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from components.render.prometheus import ALERTMANAGER_PORT, BLACKBOX_PORT, PROMETHEUS_PORT

from .conftest import Rendered, free_ports, require_tool
from .discovery import as_static
from .servers import get_json, local_endpoint, running, wait_for

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

METRICS = """\
# TYPE http_requests_total counter
http_requests_total{handler="/health",method="GET",status="2xx"} 42
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.0001
go_gc_duration_seconds_sum 0.002
go_gc_duration_seconds_count 12
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 100
"""


def _readjust(config: dict[str, Any], local: str, prometheus: str, dead: str) -> dict[str, Any]:
    for job in config["scrape_configs"]:
        if job["job_name"] == "prometheus":
            job["static_configs"] = [{"targets": [prometheus]}]
        for rule in job.get("relabel_configs", []):
            if rule.get("replacement") == f"blackbox-exporter:{BLACKBOX_PORT}":
                rule["replacement"] = local
    for manager in config["alerting"]["alertmanagers"]:
        for static in manager["static_configs"]:
            static["targets"] = [
                dead if t.endswith(f":{ALERTMANAGER_PORT}") else t for t in static["targets"]
            ]
    return config


def test_prometheus_loads_rules_and_scrapes_the_api(rendered: Rendered, tmp_path: Path) -> None:
    binary = require_tool("prometheus")
    ns = rendered.config.namespace.name
    # Prometheus's own port, and one nothing listens on for the Alertmanager it cannot reach.
    port, dead_port = free_ports(2)
    dead = f"127.0.0.1:{dead_port}"
    with local_endpoint(METRICS) as endpoint:
        generated = yaml.safe_load(rendered.prometheus_yml.read_text())
        assert generated["scrape_configs"][0]["static_configs"][0]["targets"] == [
            f"localhost:{PROMETHEUS_PORT}"
        ]
        adjusted = as_static(generated, {"api": endpoint.address}, dead, ns, drop_jobs=("nodes", "cadvisor"))
        adjusted = _readjust(adjusted, endpoint.address, f"127.0.0.1:{port}", dead)
        rendered.prometheus_yml.write_text(yaml.safe_dump(adjusted, sort_keys=False))

        api = f"http://127.0.0.1:{port}/api/v1"
        log = tmp_path / "prometheus.log"
        command = [
            binary,
            f"--config.file={rendered.prometheus_yml}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with running(command, log) as process:
            wait_for("prometheus ready", lambda: get_json(f"{api}/status/runtimeinfo"), 60, log)

            # Every generated rule file, every group, every rule, as Prometheus loaded them.
            groups = get_json(f"{api}/rules?type=alert")["data"]["groups"]
            expected = {p.stem: yaml.safe_load(p.read_text()) for p in rendered.rules_dir.glob("*.yml")}
            assert {g["name"] for g in groups} == set(expected)
            for group in groups:
                want = expected[group["name"]]["groups"][0]["rules"]
                assert [r["name"] for r in group["rules"]] == [r["alert"] for r in want]
                for rule in group["rules"]:
                    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
                    assert rule["annotations"]["runbook_url"].startswith(
                        rendered.config.monitoring.alerts.runbook_base_url
                    )

            def api_target() -> dict[str, Any] | None:
                targets = get_json(f"{api}/targets?state=active")["data"]["activeTargets"]
                found = [t for t in targets if t["labels"].get("job") == "api" and t["health"] == "up"]
                return found[0] if found else None

            target = wait_for("the api target to be up", api_target, 60, log)
            # Clean instance names: the pod's, never host:port.
            assert target["labels"]["instance"] == "api-0"
            assert target["labels"]["namespace"] == ns
            assert target["scrapeUrl"] == f"http://{endpoint.address}/metrics"

            def query(expr: str) -> list[Any]:
                return list(get_json(f"{api}/query?{urlencode({'query': expr})}")["data"]["result"])

            wait_for("the scraped series", lambda: query('http_requests_total{job="api"}'), 30, log)
            # Dropped at scrape time by the generated metric_relabel_configs.
            for dropped in ("go_gc_duration_seconds", "python_gc_objects_collected_total"):
                assert query(f'{dropped}{{job="api"}}') == []
            assert process.poll() is None, log.read_text()[-2000:]
    assert process.returncode is not None
