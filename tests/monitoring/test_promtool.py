"""The generated Prometheus config and rule files, judged by promtool itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.loader import parse_estate
from components.config.monitoring import PROMETHEUS
from components.plan.estate import plan
from components.plan.monitoring import planned_monitoring
from components.render.prometheus import ServiceJob
from tests.plan.test_plan import REPORTS

from .conftest import RULE_TESTS, Rendered, planned_prometheus_yml, render_to, require_tool
from .discovery import as_static, with_serviceaccount

pytestmark = pytest.mark.promtool

KUBERNETES_SD_PROBE = "scrape_configs:\n- job_name: probe\n  kubernetes_sd_configs: [{role: endpointslice}]\n"


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("promtool"), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def supports_kubernetes_sd(tmp_path: Path) -> bool:
    probe = tmp_path / "sd-probe.yml"
    probe.write_text(KUBERNETES_SD_PROBE)
    return promtool("check", "config", "--syntax-only", str(probe)).returncode == 0


def test_generated_config_and_its_rule_files_pass_check_config(rendered: Rendered, tmp_path: Path) -> None:
    # promtool insists that the kubelet jobs' token file exists; outside a pod it does not.
    serviceaccount = tmp_path / "serviceaccount"
    serviceaccount.mkdir()
    (serviceaccount / "token").write_text("stand-in")
    (serviceaccount / "ca.crt").write_text("stand-in")
    adjusted = with_serviceaccount(yaml.safe_load(rendered.prometheus_yml.read_text()), str(serviceaccount))
    if not supports_kubernetes_sd(tmp_path):
        # Debian's build has no Kubernetes discovery: the same targets, found statically.
        adjusted = as_static(adjusted, {}, "127.0.0.1:9", rendered.config.namespace.name)
    target = rendered.prometheus_yml.with_name("prometheus-checked.yml")
    target.write_text(yaml.safe_dump(adjusted, sort_keys=False))
    result = promtool("check", "config", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    # check config also checks every rule file the config loads: all of them must be found.
    for name in sorted(p.name for p in rendered.rules_dir.glob("*.yml")):
        assert f"rules/{name}" in result.stdout + result.stderr


def test_kubernetes_discovery_as_generated(rendered: Rendered, tmp_path: Path) -> None:
    """The discovery sections themselves, unchanged, need a promtool built with Kubernetes
    discovery (Debian's is not; `scripts/setup.sh` can build upstream's from its Go module)."""
    if not supports_kubernetes_sd(tmp_path):
        pytest.skip("this promtool has no Kubernetes discovery (Debian build); checked statically above")
    broken = rendered.prometheus_yml.read_text().replace("role: endpointslice", "role: endpointslices")
    target = rendered.prometheus_yml.with_name("prometheus-broken.yml")
    target.write_text(broken)
    result = promtool("check", "config", "--syntax-only", str(target))
    assert result.returncode != 0 and "endpointslices" in result.stdout + result.stderr
    result = promtool("check", "config", "--syntax-only", str(rendered.prometheus_yml))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_config(rendered: Rendered) -> None:
    """The check above can fail: a timeout above the interval is refused."""
    config = yaml.safe_load(rendered.prometheus_yml.read_text())
    config["scrape_configs"][0]["scrape_interval"] = "5s"
    config["scrape_configs"][0]["scrape_timeout"] = "30s"
    rendered.prometheus_yml.write_text(yaml.safe_dump(config))
    assert promtool("check", "config", "--syntax-only", str(rendered.prometheus_yml)).returncode != 0


def test_every_rule_file_passes_check_rules(rendered: Rendered) -> None:
    files = sorted(rendered.rules_dir.glob("*.yml"))
    assert len(files) >= 7
    for path in files:
        result = promtool("check", "rules", str(path))
        assert result.returncode == 0, f"{path.name}: {result.stdout}{result.stderr}"
        assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("test_file", sorted(p.name for p in RULE_TESTS.glob("*.yml")))
def test_rule_unit_tests(rendered: Rendered, test_file: str) -> None:
    # The test files name `rules/<group>.yml` relative to themselves.
    workdir = rendered.rules_dir.parent
    shutil.copy(RULE_TESTS / test_file, workdir / test_file)
    result = promtool("test", "rules", test_file, cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_can_fail(rendered: Rendered) -> None:
    """A threshold change the unit tests must notice: 10% errors no longer fire at 20%."""
    workdir = rendered.rules_dir.parent
    api = rendered.rules_dir / "api.yml"
    api.write_text(api.read_text().replace("> 0.05", "> 0.2"))
    shutil.copy(RULE_TESTS / "api.yml", workdir / "api.yml")
    result = promtool("test", "rules", "api.yml", cwd=workdir)
    assert result.returncode != 0
    assert "APIHighErrorRatio" in result.stdout + result.stderr


def _service_jobs(prometheus_yml: str) -> dict[str, dict[str, Any]]:
    """The file's jobs over the namespace's Services (endpointslice discovery), by name."""
    jobs = yaml.safe_load(prometheus_yml)["scrape_configs"]
    return {
        job["job_name"]: job
        for job in jobs
        if [sd["role"] for sd in job.get("kubernetes_sd_configs", [])] == ["endpointslice"]
    }


def test_the_plans_scrape_jobs_are_the_files_and_promtool_accepts_them(tmp_path: Path) -> None:
    """A workload the stack adds with a port named `metrics` is a scrape job of the plan,
    and the plan's prometheus.yml scrapes exactly the plan's jobs."""
    config = parse_estate({"workloads": {"reports": REPORTS}})
    estate = plan(config)
    assert ("reports", "reports", "metrics") in [(j.name, j.workload, j.port) for j in estate.scrape_jobs]
    text = planned_prometheus_yml(config)
    jobs = _service_jobs(text)
    assert list(jobs) == [job.name for job in estate.scrape_jobs if job.name in jobs]
    assert [job.name for job in estate.scrape_jobs if job.name not in jobs] == []
    [keep] = [r for r in jobs["reports"]["relabel_configs"] if r.get("action") == "keep"]
    assert keep["regex"] == "reports;metrics"
    rendered = render_to(tmp_path / "files", config)
    assert rendered.prometheus_yml.read_text() == text
    test_generated_config_and_its_rule_files_pass_check_config(rendered, tmp_path)


def test_prometheus_yml_is_rendered_from_the_jobs_it_is_given() -> None:
    """Not re-derived from the config: the jobs handed to the plan's Prometheus are the file's."""
    config = parse_estate({})
    only = ServiceJob("only-this", "api", "http", "/stats", "30s")
    [files] = [g for g in planned_monitoring(config, (only,))[PROMETHEUS].files if g.name == "config"]
    jobs = _service_jobs(files.files["prometheus.yml"])
    assert list(jobs) == ["only-this"]
    assert jobs["only-this"]["metrics_path"] == "/stats"
