"""trivy's misconfiguration checks on the prod estate: 0 HIGH or CRITICAL findings.

The real trivy (built from its Go module by tools/extra/build.sh; its cold build is too
heavy for make test, so these run in make test-extra, docs/ci-cd.md) scans every
manifest of the prod stack, rendered under mocks by tools/render.py, in both edge modes,
with the checks embedded in its binary and no network (a network namespace of its own).
A ConfigMap written as the estate's PostgreSQL scripts were before the fix is scanned
alongside as the control: trivy must report KSV-0109 on it, so a scan that silently ran
no check cannot pass. tests/ci/ksv0109.py ports KSV-0109, the rule the estate once failed,
so every ConfigMap of more variants is held to it in the same run; the port is held to the
rule's own test cases and to the patterns of its Rego source (make test)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.datastores.postgres import settings as postgres
from components.datastores.postgres.sql import postgres_roles_sql
from tests.ci import contract, ksv0109
from tests.ci.contract import ROOT
from tests.logging.extra import extra_binary
from tests.support.program import PROJECT, run_program
from tests.support.tools import CACHE_BIN, require_tool
from tools import render

pytestmark = pytest.mark.xdist_group("render")  # run_program holds process-wide Pulumi mocks

EDGE_MODES = ("gateway-api", "ingress-nginx")
BLOCKING = ("HIGH", "CRITICAL")
# The stack variants whose ConfigMaps the port judges: every optional file-bearing piece on.
VARIANTS: dict[str, dict[str, Any]] = {
    "prod": {},
    "ingress-nginx": {f"{PROJECT}:ingress": {"mode": "ingress-nginx"}},
    "read replicas": {f"{PROJECT}:postgres": {"readReplicas": 2}},
}

# The control: the two lines trivy reported on the estate before the fix, in a ConfigMap.
CONTROL = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "postgres-start-before-the-fix", "namespace": "trivy-control"},
    "data": {
        "start.sh": 'if [ -n "$DATABASE_ALREADY_EXISTS" ]; then\n'
        '  export PGPASSWORD="$POSTGRES_PASSWORD"\nfi\n',
        "roles.sql": "ALTER ROLE app WITH LOGIN\n  CONNECTION LIMIT -1 PASSWORD :'app_password';\n",
    },
}


# --- the port, held to the rule ---------------------------------------------------------------

# configMap_with_secrets_test.rego of the pinned trivy-checks, case by case: (data, keys reported).
RULE_TEST_CASES: dict[str, tuple[dict[str, str], set[str]]] = {
    "happy": ({"color.good": "blue", "color.bad": "yellow"}, set()),
    "cm keys with sensitive values": (
        {"password": "password123", "secretkey": "test"},
        {"password", "secretkey"},
    ),
    "colon-separated secrets": ({"config": "DB_PASSWORD:supersecret", "color": "blue"}, {"DB_PASSWORD"}),
    "equals-separated secrets": (
        {"env": "REDIS_MASTER_PASSWORD=abcd1234", "theme": "dark"},
        {"REDIS_MASTER_PASSWORD"},
    ),
    "cm value with empty secret assignment": ({"env": "REDIS_MASTER_PASSWORD=", "theme": "dark"}, set()),
    "cm value with shell interpolation": (
        {"test": 'REDIS_MASTER_PASSWORD="$(< "${REDIS_MASTER_PASSWORD_FILE}")"'},
        set(),
    ),
    "cm value with env variable reference": ({"test": "DB_PASSWORD=${DB_PASSWORD}"}, set()),
    "cm value with template syntax": ({"test": "REDIS_MASTER_PASSWORD={{ .Values.redis.password }}"}, set()),
}


@pytest.mark.parametrize("case", RULE_TEST_CASES)
def test_the_port_passes_the_rules_own_test_cases(case: str) -> None:
    data, expected = RULE_TEST_CASES[case]
    assert ksv0109.findings({"kind": "ConfigMap", "data": data}) == expected


def test_the_port_finds_what_trivy_reported_before_the_fix() -> None:
    assert ksv0109.findings(CONTROL) == {"  export PGPASSWORD", "  CONNECTION LIMIT -1 PASSWORD "}


def _pin(script: str, name: str) -> str:
    match = re.search(rf"^{name}=(v\S+)$", (ROOT / script).read_text(), re.MULTILINE)
    assert match, f"{script}: no {name}=v..."
    return match.group(1)


TRIVY_VERSION = _pin("tools/extra/build.sh", "TRIVY_VERSION")
TRIVY_CHECKS_VERSION = _pin("scripts/setup-test-tools.sh", "TRIVY_CHECKS_VERSION")


def _checks_module() -> Path:
    link = CACHE_BIN.parent / "trivy-checks"
    if not link.is_dir():
        message = f"{link} is missing: scripts/setup-test-tools.sh links the pinned trivy-checks module there"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return link.resolve()


def test_the_port_has_the_patterns_of_the_pinned_rego() -> None:
    module = _checks_module()
    assert module.name == f"trivy-checks@{TRIVY_CHECKS_VERSION}", module
    values, keys = ksv0109.rego_patterns(module)
    assert sorted(values) == sorted(p.pattern for p in ksv0109.VALUE_PATTERNS)
    assert sorted(keys) == sorted(p.pattern for p in ksv0109.KEY_PATTERNS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_configmap_of_the_estate_reads_as_holding_a_secret(variant: str) -> None:
    snapshot = run_program("prod", overrides=VARIANTS[variant])
    configmaps = [r.manifest for r in snapshot.kubernetes_objects() if r.kind == "ConfigMap"]
    names = {c["metadata"]["name"] for c in configmaps}
    assert {"postgres-initdb", "postgres-start"} <= names, names
    if variant == "read replicas":
        assert "postgres-ro-replica" in names, names
    found = {c["metadata"]["name"]: sorted(hits) for c in configmaps if (hits := ksv0109.findings(c))}
    assert found == {}


def test_the_roles_script_passes_with_every_role_on() -> None:
    """The script's every branch (exporter role, replication role) at once."""
    script = postgres_roles_sql(postgres.PostgresSettings(read_replicas=1), exporter=True)
    assert "PASSWORD %L" in script
    assert ksv0109.findings({"kind": "ConfigMap", "data": {"roles.sql": script}}) == set()


# --- the real trivy ---------------------------------------------------------------------------


def _trivy_config(trivy: str, target: Path, cache: Path) -> dict[str, Any]:
    """`trivy config` in a network namespace of its own (only a down loopback): the checks
    embedded in the binary, no bundle download, no version check."""
    unshare = require_tool("unshare")
    command = [
        unshare,
        "--net",
        trivy,
        "config",
        "--quiet",
        "--skip-check-update",
        "--skip-version-check",
        "--disable-telemetry",
        "--misconfig-scanners",
        "kubernetes",
        "--cache-dir",
        str(cache),
        "--format",
        "json",
        "--include-non-failures",
        str(target),
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    print(f"\n{' '.join(command)}: {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}: {result.stderr[-3000:]}"
    return dict(json.loads(result.stdout))


def _misconfigurations(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for result in report.get("Results") or []:
        for item in result.get("Misconfigurations") or []:
            yield result["Target"], item


@pytest.fixture(scope="module")
def trivy() -> str:
    return extra_binary("trivy")


@pytest.fixture(scope="module")
def scans(trivy: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("trivy")
    reports = {}
    for mode in EDGE_MODES:
        out = base / mode
        render.render("prod", out, overrides={f"{PROJECT}:ingress": {"mode": mode}})
        (out / "control-configmap.yaml").write_text(yaml.safe_dump(CONTROL))
        reports[mode] = _trivy_config(trivy, out, base / "cache")
    return reports


@pytest.mark.extra
def test_trivy_is_the_pinned_release_with_the_pinned_checks(trivy: str) -> None:
    """The binary's own build information: the release built, and the trivy-checks module
    embedded in it is the one the port reads (scripts/setup-test-tools.sh)."""
    info = subprocess.run(["go", "version", "-m", trivy], capture_output=True, text=True, check=True).stdout
    assert re.search(
        rf"^\s+mod\s+github.com/aquasecurity/trivy\s+{re.escape(TRIVY_VERSION)}\s", info, re.M
    ), info
    checks = rf"^\s+dep\s+github.com/aquasecurity/trivy-checks\s+{re.escape(TRIVY_CHECKS_VERSION)}\s"
    assert re.search(checks, info, re.M), info
    version = subprocess.run([trivy, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Version: {TRIVY_VERSION.removeprefix('v')}" in version, version


@pytest.mark.extra
@pytest.mark.parametrize("mode", EDGE_MODES)
def test_trivy_finds_no_high_or_critical_misconfiguration(
    mode: str, scans: dict[str, dict[str, Any]]
) -> None:
    blocking = [
        f"{target}: {m['ID']} {m['Severity']} {m['Title']}: {m.get('Message', '')}"
        for target, m in _misconfigurations(scans[mode])
        if m["Status"] == "FAIL" and m["Severity"] in BLOCKING and "control-configmap" not in target
    ]
    assert blocking == [], "\n".join(blocking)


@pytest.mark.extra
@pytest.mark.parametrize("mode", EDGE_MODES)
def test_trivy_ran_its_checks_on_every_manifest(mode: str, scans: dict[str, dict[str, Any]]) -> None:
    """The scan judged every workload, ConfigMap, Role and NetworkPolicy file (kinds its
    checks cover; a Gateway has none), KSV-0109 passed on the PostgreSQL ConfigMaps, and the
    control (the scripts as they were) failed it: the embedded checks really ran."""
    report = scans[mode]
    judged = {Path(target).name for target, _ in _misconfigurations(report)}
    rendered = {p.name for p in (Path(report["ArtifactName"])).iterdir()}
    covered = {
        n for n in rendered if re.search(r"^\d+-(deployment|statefulset|configmap|role|networkpolicy)-", n)
    }
    assert len(covered) > 10, sorted(rendered)
    # The edge mode really differs: Ingress objects in one, a Gateway in the other.
    edge = "ingress" if mode == "ingress-nginx" else "gateway"
    assert any(re.search(rf"^\d+-{edge}-", n) for n in rendered), sorted(rendered)
    assert covered <= judged, sorted(covered - judged)
    verdicts = {
        (Path(target).name, m["ID"]): m["Status"]
        for target, m in _misconfigurations(report)
        if m["ID"] == "KSV-0109"
    }
    postgres_files = [
        name
        for name in rendered
        if name.endswith(("-configmap-postgres-initdb.yaml", "-configmap-postgres-start.yaml"))
    ]
    assert len(postgres_files) == 2, sorted(rendered)
    for name in postgres_files:
        assert verdicts.get((name, "KSV-0109")) == "PASS", (name, verdicts.get((name, "KSV-0109")))
    assert verdicts.get(("control-configmap.yaml", "KSV-0109")) == "FAIL", verdicts


def test_the_ci_workflow_runs_the_same_scan() -> None:
    """CI's security job runs `make trivy`, which fails on a HIGH or CRITICAL finding."""
    steps = contract.workflows()["ci"]["jobs"]["security"]["steps"]
    assert any(str(step.get("run", "")).strip() == "make trivy" for step in steps), steps
    makefile = (ROOT / "Makefile").read_text()
    assert "trivy: dev" in makefile and "scripts/trivy-config.sh" in makefile
    script = (ROOT / "scripts" / "trivy-config.sh").read_text()
    assert "--severity HIGH,CRITICAL --exit-code 1" in script and "--skip-check-update" in script
