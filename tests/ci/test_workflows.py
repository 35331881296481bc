"""The CI/CD contract of issue 5, checked on the parsed workflows (and on broken copies,
to show each check can fail)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci import contract
from tests.ci.contract import ROOT

WF = contract.workflows()
STACKS_SCRIPT = ROOT / ".github" / "scripts" / "stacks.py"


def test_the_three_workflows_exist() -> None:
    assert {"ci", "build", "deploy"} <= set(WF)


def _repo_copy(tmp_path: Path, extra_stacks: dict[str, str] | None = None) -> Path:
    """The stack files and .github/ of the repository, plus synthetic stack files."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for stack, body in (extra_stacks or {}).items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(body)
    return tmp_path


# ---------------------------------------------------------------- stack discovery and previews


def test_every_stack_file_has_a_policy_pack_preview() -> None:
    previewed = contract.previewed_stacks(WF["ci"], ROOT)
    assert contract.stack_files(ROOT) >= {"prod", "local"}
    assert contract.unpreviewed_stacks(WF["ci"], ROOT) == set(), previewed


def test_a_stack_file_added_later_is_previewed_without_editing_the_workflow(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path, {"staging": "config:\n  shiksha-setu:target: kubernetes\n"})
    previewed = contract.previewed_stacks(WF["ci"], repo)
    assert previewed.get("staging") == "preview"
    assert contract.unpreviewed_stacks(WF["ci"], repo) == set()


def test_a_hand_listed_matrix_leaves_a_new_stack_without_preview(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path, {"staging": "config: {}\n"})
    broken = copy.deepcopy(WF["ci"])
    broken["jobs"]["preview"]["strategy"]["matrix"] = {
        "include": [{"stack": "prod", "backend": "cloud"}, {"stack": "local", "backend": "file"}]
    }
    assert contract.unpreviewed_stacks(broken, repo) == {"staging"}


@pytest.mark.parametrize(
    ("option", "value"),
    [("policyPacks", None), ("policyPacks", "other-pack"), ("comment-on-pr", None), ("command", "up")],
)
def test_a_preview_without_the_policy_pack_or_comment_does_not_count(option: str, value: Any) -> None:
    broken = copy.deepcopy(WF["ci"])
    step = _pulumi_command(broken["jobs"]["preview"])
    if value is None:
        del step["with"][option]
    else:
        step["with"][option] = value
    assert contract.unpreviewed_stacks(broken, ROOT) == contract.stack_files(ROOT)


def test_the_discovery_step_fails_the_job_when_it_finds_no_stack(tmp_path: Path) -> None:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    with pytest.raises(subprocess.CalledProcessError):
        contract.previewed_stacks(WF["ci"], tmp_path)


def _discover(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STACKS_SCRIPT), "--root", str(root)], capture_output=True, text=True
    )


def test_discovery_backends_and_stray_files(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path, {"qa": "config:\n  shiksha-setu:kubernetes:\n    renderDirectory: out\n"})
    (repo / "Pulumi.prod.yaml.bak").write_text("config: {}\n")
    result = _discover(repo)
    assert result.returncode == 0, result.stderr
    entries = {e["stack"]: e["backend"] for e in json.loads(result.stdout)["include"]}
    assert entries == {"local": "file", "prod": "cloud", "qa": "file"}


def test_discovery_fails_when_there_is_no_stack(tmp_path: Path) -> None:
    # An empty matrix would make GitHub skip the previews and the gate read that as green.
    result = _discover(tmp_path)
    assert result.returncode == 1
    assert "no Pulumi.<stack>.yaml" in result.stderr


# ---------------------------------------------------------------- timeouts, permissions, gate, pins


@pytest.mark.parametrize("name", sorted(WF))
def test_every_job_has_a_timeout(name: str) -> None:
    assert contract.jobs_without_timeout(WF[name]) == []


def test_a_job_without_timeout_is_reported() -> None:
    broken = copy.deepcopy(WF["ci"])
    del broken["jobs"]["lint"]["timeout-minutes"]
    broken["jobs"]["test"]["timeout-minutes"] = 360
    assert contract.jobs_without_timeout(broken) == ["lint", "test"]


@pytest.mark.parametrize("name", sorted(WF))
def test_permissions_are_minimal(name: str) -> None:
    assert contract.permission_problems(name, WF[name]) == []
    assert WF[name]["permissions"] == {}


@pytest.mark.parametrize(
    ("job", "patch", "expected"),
    [
        (None, {"permissions": "write-all"}, "top-level permissions 'write-all'"),
        (None, {"permissions": {"contents": "write"}}, "are not {} or read-only"),
        ("lint", {"permissions": {"contents": "read", "pull-requests": "write"}}, "ci.lint: pull-requests"),
        ("test", {"permissions": None}, "ci.test: no permissions block"),
    ],
)
def test_widened_permissions_are_reported(job: str | None, patch: dict[str, Any], expected: str) -> None:
    broken = copy.deepcopy(WF["ci"])
    target = broken if job is None else broken["jobs"][job]
    for key, value in patch.items():
        if value is None:
            target.pop(key)
        else:
            target[key] = value
    problems = contract.permission_problems("ci", broken)
    assert any(expected in p for p in problems), problems


def test_the_gate_needs_every_other_job() -> None:
    assert contract.gate_problems(WF["ci"]) == []


def test_a_job_missing_from_the_gate_is_reported() -> None:
    broken = copy.deepcopy(WF["ci"])
    broken["jobs"]["ci-success"]["needs"].remove("secrets")
    broken["jobs"]["new-job"] = {"runs-on": "ubuntu-24.04", "timeout-minutes": 5}
    assert contract.gate_problems(broken) == [
        "ci-success does not need secrets",
        "ci-success does not need new-job",
    ]


def test_every_third_party_action_is_pinned_to_a_version() -> None:
    refs = list(contract.action_refs())
    assert any(ref.startswith("pulumi/actions@") for _, ref in refs)
    assert contract.unpinned_actions(iter(refs)) == []


def test_moving_refs_are_reported() -> None:
    refs = [("x.yml", "actions/checkout@v4"), ("x.yml", "foo/bar@main"), ("x.yml", "./.github/actions/a")]
    refs += [("x.yml", "aquasecurity/trivy-action@" + "a" * 40), ("x.yml", "docker/login-action@v3.4.0")]
    assert contract.unpinned_actions(iter(refs)) == [
        "x.yml: actions/checkout@v4",
        "x.yml: foo/bar@main",
        "x.yml: docker/login-action@v3.4.0",
    ]


# ---------------------------------------------------------------- ci.yml


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in contract.steps_of(job))


def _step(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in contract.steps_of(job) if contract.uses(s, action))


def _pulumi_command(job: dict[str, Any]) -> dict[str, Any]:
    """The pulumi/actions step that runs a command (the other one only installs the CLI)."""
    return next(
        s for s in contract.steps_of(job) if contract.uses(s, "pulumi/actions") and "command" in s["with"]
    )


def test_ci_triggers_and_concurrency() -> None:
    ci = WF["ci"]
    assert "pull_request" in ci["on"] and "push" in ci["on"]
    assert "github.head_ref || github.ref" in ci["concurrency"]["group"]
    assert ci["concurrency"]["cancel-in-progress"] is True


def test_ci_preflight_is_fast_and_the_rest_runs_in_parallel_after_it() -> None:
    jobs = WF["ci"]["jobs"]
    assert jobs["preflight"]["timeout-minutes"] <= 5
    assert "compileall" in _runs(jobs["preflight"]) and "ruff check" in _runs(jobs["preflight"])
    for job in ("lint", "typecheck", "test", "security", "secrets", "stacks"):
        assert jobs[job]["needs"] == "preflight", job


def test_ci_jobs_run_the_projects_own_make_targets() -> None:
    jobs = WF["ci"]["jobs"]
    makefile = (ROOT / "Makefile").read_text()
    for job, target in [
        ("lint", "lint"),
        ("typecheck", "typecheck"),
        ("test", "test"),
        ("security", "checkov"),
    ]:
        assert re.search(rf"^\s*make {target}\s*$", _runs(jobs[job]), re.M), job
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
    # make test is scripts/test.sh: pytest -n auto --dist loadgroup with a failing coverage floor.
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert "-n auto --dist loadgroup" in test_sh and "--cov-fail-under" in test_sh


def test_ci_security_scans_and_uploads_sarif_from_one_job() -> None:
    jobs = WF["ci"]["jobs"]
    security = jobs["security"]
    assert re.search(r"semgrep\S* scan", _runs(security)) and "--sarif" in _runs(security)
    uploads = [
        s for s in contract.steps_of(security) if contract.uses(s, "github/codeql-action/upload-sarif")
    ]
    assert {s["with"]["category"] for s in uploads} == {"semgrep", "checkov", "trivy"}
    assert _step(jobs["secrets"], "trufflesecurity/trufflehog")
    holders = [
        j for j, job in jobs.items() if (job.get("permissions") or {}).get("security-events") == "write"
    ]
    assert holders == ["security"]


def test_ci_preview_uses_the_official_action_with_oidc() -> None:
    preview = WF["ci"]["jobs"]["preview"]
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    assert preview["strategy"]["fail-fast"] is False
    assert _pulumi_command(preview)["with"]["policyPacks"] == "policies"
    backend = (ROOT / ".github/actions/pulumi-backend/action.yml").read_text()
    assert "pulumi/auth-actions@" in backend and "PULUMI_ACCESS_TOKEN" not in WF["ci"].__repr__()


# ---------------------------------------------------------------- build.yml


def test_build_dispatch_force_and_concurrency() -> None:
    build = WF["build"]
    force = build["on"]["workflow_dispatch"]["inputs"]["force"]
    assert force["type"] == "boolean" and force["default"] is False
    assert build["concurrency"]["cancel-in-progress"] is True
    outputs = build["jobs"]["preflight"]["outputs"]
    assert "short-sha" in outputs and "version" in outputs
    assert "GITHUB_SHA::7" in _runs(build["jobs"]["preflight"])


def test_build_is_multi_platform_cached_attested_and_scanned_before_push() -> None:
    job = WF["build"]["jobs"]["build"]
    steps = contract.steps_of(job)
    assert "linux/arm64" in _step(job, "docker/setup-qemu-action")["with"]["platforms"]
    assert _step(job, "docker/setup-buildx-action")
    builds = [s for s in steps if contract.uses(s, "docker/build-push-action")]
    push = next(s for s in builds if s["with"].get("push") is True)
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert push["with"]["provenance"] is True and push["with"]["sbom"] is True
    assert push["with"]["cache-from"].startswith("type=registry")
    assert push["with"]["cache-to"].startswith("type=registry")
    trivy = next(i for i, s in enumerate(steps) if contract.uses(s, "aquasecurity/trivy-action"))
    assert trivy < steps.index(push), "Trivy must scan before the push"
    assert steps[trivy]["with"]["exit-code"] == "1"


def test_build_verifies_smoke_tests_and_summarises_releases() -> None:
    jobs = WF["build"]["jobs"]
    assert "build" in jobs["verify"]["needs"] and "build" in jobs["smoke"]["needs"]
    assert "imagetools inspect" in _runs(jobs["verify"]) and "docker pull" in _runs(jobs["verify"])
    assert "curl" in _runs(jobs["smoke"]) and "docker run" in _runs(jobs["smoke"])
    assert {e["image"] for e in jobs["smoke"]["strategy"]["matrix"]["include"]} == {"backend", "frontend"}
    assert "is-release" in jobs["release"]["if"] and "GITHUB_STEP_SUMMARY" in _runs(jobs["release"])


# ---------------------------------------------------------------- deploy.yml


def test_deploy_applies_the_merged_commits_plan_behind_production() -> None:
    deploy = WF["deploy"]
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    plan, up = deploy["jobs"]["plan"], deploy["jobs"]["up"]
    preview, apply = _pulumi_command(plan), _pulumi_command(up)
    assert preview["with"]["command"] == "preview" and apply["with"]["command"] == "up"
    assert preview["with"]["plan"] == apply["with"]["plan"] == "${{ env.PLAN }}"
    assert preview["with"]["policyPacks"] == apply["with"]["policyPacks"] == "policies"
    assert up["needs"] == "plan" and up["environment"] == "production"
    assert "environment" not in plan, "the plan runs before approval, so reviewers see it"
    assert _step(plan, "actions/upload-artifact") and _step(up, "actions/download-artifact")


# ---------------------------------------------------------------- the gate's script, executed


def _gate(results: dict[str, str], event: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which("jq"):
        pytest.fail("jq is needed to run the gate script (GitHub's runners have it; apt-get install jq)")
    step = WF["ci"]["jobs"]["ci-success"]["steps"][0]
    needs = {job: {"result": result, "outputs": {}} for job, result in results.items()}
    env = {"PATH": "/usr/bin:/bin", "NEEDS": json.dumps(needs), "EVENT": event}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]], env=env, capture_output=True, text=True
    )


ALL_GREEN = {job: "success" for job in WF["ci"]["jobs"]["ci-success"]["needs"]}


@pytest.mark.parametrize(
    ("changes", "event", "passes"),
    [
        ({}, "pull_request", True),
        ({"preview": "skipped"}, "push", True),
        ({"preview": "skipped"}, "pull_request", False),
        ({"test": "failure"}, "pull_request", False),
        ({"lint": "cancelled"}, "push", False),
        ({"security": "skipped"}, "push", False),
    ],
)
def test_the_gate_script_passes_only_when_every_job_did(
    changes: dict[str, str], event: str, passes: bool
) -> None:
    result = _gate({**ALL_GREEN, **changes}, event)
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    if not passes:
        assert ", ".join(f"{job} {state}" for job, state in changes.items()) in result.stderr
