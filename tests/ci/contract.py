"""The CI/CD contract of this repository, as checks over parsed GitHub Actions workflows.

Each check returns a list of problems (empty when the contract holds), so a test can
assert that the real workflows pass and that a deliberately broken copy does not.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"

Workflow = dict[str, Any]

# Write scopes and the only jobs allowed to hold them (workflow file stem, job id).
ALLOWED_WRITES: dict[str, set[tuple[str, str]]] = {
    "security-events": {("ci", "security")},
    "pull-requests": {("ci", "preview")},
    "id-token": {("ci", "preview"), ("deploy", "plan"), ("deploy", "up")},
    "packages": {("build", "build")},
}
# A full commit SHA: tags, even v1.2.3, can be moved to other code (OpenSSF Scorecard's
# Pinned-Dependencies); the version it is goes in a comment on the same line.
PINNED = re.compile(r"@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
VERSION_COMMENT = re.compile(r"^\s+#\s+v?\d+\.\d+\.\d+\s*$")
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> Workflow:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def workflows(directory: Path = WORKFLOWS) -> dict[str, Workflow]:
    return {p.stem: load(p) for p in sorted(directory.glob("*.yml"))}


def stack_files(root: Path) -> set[str]:
    return {p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml")}


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


# ---------------------------------------------------------------- previews


def _run_discovery(workflow: Workflow, job_id: str, output: str, root: Path) -> list[dict[str, Any]]:
    """Runs the `run:` script of the step that sets a job output, in `root`, and returns
    the matrix entries it produced: the discovery is executed, not pattern-matched."""
    job = workflow["jobs"][job_id]
    ref = EXPR.fullmatch(str(job.get("outputs", {}).get(output, "")))
    if not ref or not (m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", ref[1])):
        return []
    step_id, key = m[1], m[2]
    step = next((s for s in steps_of(job) if s.get("id") == step_id), None)
    if step is None or "run" not in step:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        shims = Path(tmp) / "bin"
        shims.mkdir()
        # The workflow calls `python`; here that is this interpreter, which has PyYAML.
        shim = shims / "python"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        out = Path(tmp) / "github_output"
        out.touch()
        env = {**os.environ, "GITHUB_OUTPUT": str(out), "PATH": f"{shims}:{os.environ['PATH']}"}
        subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=root, env=env, check=True)
        values = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    matrix = json.loads(values.get(key, "{}"))
    return list(matrix.get("include", []))


def _matrix_entries(workflow: Workflow, job: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    matrix = (job.get("strategy") or {}).get("matrix")
    if matrix is None:
        return [{}]
    if isinstance(matrix, str):
        m = EXPR.fullmatch(matrix)
        ref = m and re.fullmatch(r"fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\)", m[1])
        return _run_discovery(workflow, ref[1], ref[2], root) if ref else []
    entries = [dict(e) for e in matrix.get("include", [])]
    for value in matrix.get("stack", []):
        entries.append({"stack": value})
    return entries


def _stack_of(step: dict[str, Any], job: dict[str, Any], entry: dict[str, Any]) -> str | None:
    """The stack a pulumi/actions step works on, following one hop through a step output
    (the backend composite action turns `stack` into a qualified `stack-name`)."""
    name = str((step.get("with") or {}).get("stack-name", ""))
    m = EXPR.fullmatch(name)
    if not m:
        return name.rsplit("/", 1)[-1] or None
    expr = m[1]
    if expr == "matrix.stack":
        return entry.get("stack")
    hop = re.fullmatch(r"steps\.([\w-]+)\.outputs\.[\w-]+", expr)
    if hop:
        source = next((s for s in steps_of(job) if s.get("id") == hop[1]), {})
        if str((source.get("with") or {}).get("stack", "")).replace(" ", "") == "${{matrix.stack}}":
            return entry.get("stack")
    return None


def previewed_stacks(workflow: Workflow, root: Path) -> dict[str, str]:
    """Stacks that some job previews with the policy pack and comments on the pull
    request about: stack -> job id."""
    found: dict[str, str] = {}
    for job_id, job in workflow.get("jobs", {}).items():
        for step in steps_of(job):
            options = step.get("with") or {}
            if not uses(step, "pulumi/actions") or options.get("command") != "preview":
                continue
            if "policies" not in str(options.get("policyPacks", "")).split():
                continue
            if str(options.get("comment-on-pr", "")).lower() != "true":
                continue
            for entry in _matrix_entries(workflow, job, root):
                stack = _stack_of(step, job, entry)
                if stack:
                    found[stack] = job_id
    return found


def unpreviewed_stacks(workflow: Workflow, root: Path) -> set[str]:
    return stack_files(root) - set(previewed_stacks(workflow, root))


# ---------------------------------------------------------------- jobs and permissions


def jobs_without_timeout(workflow: Workflow) -> list[str]:
    return [
        job_id
        for job_id, job in workflow.get("jobs", {}).items()
        if not isinstance(job.get("timeout-minutes"), int) or not 0 < job["timeout-minutes"] <= 60
    ]


def permission_problems(name: str, workflow: Workflow) -> list[str]:
    problems = []
    top = workflow.get("permissions")
    if top is None:
        problems.append(f"{name}: no top-level permissions (the default token can write)")
    elif isinstance(top, str) or any(v not in ("read", "none") for v in top.values()):
        problems.append(f"{name}: top-level permissions {top!r} are not {{}} or read-only")
    for job_id, job in workflow.get("jobs", {}).items():
        perms = job.get("permissions")
        if perms is None:
            problems.append(f"{name}.{job_id}: no permissions block (inherits the top level implicitly)")
            continue
        if isinstance(perms, str):
            problems.append(f"{name}.{job_id}: permissions {perms!r} instead of explicit scopes")
            continue
        for scope, level in perms.items():
            if level == "write" and (name, job_id) not in ALLOWED_WRITES.get(scope, set()):
                problems.append(f"{name}.{job_id}: {scope}: write is not needed there")
    return problems


def gate_problems(workflow: Workflow, gate: str = "ci-success") -> list[str]:
    jobs = workflow.get("jobs", {})
    if gate not in jobs:
        return [f"no gate job {gate!r}"]
    job = jobs[gate]
    needs = job.get("needs") or []
    needs = [needs] if isinstance(needs, str) else list(needs)
    problems = [f"{gate} does not need {j}" for j in jobs if j != gate and j not in needs]
    if "always()" not in str(job.get("if", "")):
        problems.append(f"{gate} must run with if: always() so a failed job cannot skip it")
    script = " ".join(str(s.get("run", "")) for s in steps_of(job))
    if "needs" not in script.lower():
        problems.append(f"{gate} does not check the results of its needs")
    return problems


def action_refs(root: Path = ROOT) -> Iterator[tuple[str, str]]:
    """(file, uses) of every action referenced by the workflows and the composite actions."""
    for path in workflow_files(root):
        data = load(path)
        step_lists = [job.get("steps") or [] for job in (data.get("jobs") or {}).values()]
        step_lists.append((data.get("runs") or {}).get("steps") or [])
        for steps in step_lists:
            for step in steps:
                if "uses" in step:
                    yield str(path.relative_to(root)), str(step["uses"])


def unpinned_actions(refs: Iterator[tuple[str, str]]) -> list[str]:
    return [
        f"{where}: {ref}"
        for where, ref in refs
        if not ref.startswith(("./", "docker://")) and not PINNED.search(ref)
    ]


def workflow_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.yml")) + sorted(
        (root / ".github" / "actions").glob("*/action.yml")
    )


def sha_pin_problems(root: Path = ROOT) -> list[str]:
    """Every third-party `uses:` line, read as text (YAML drops comments): a full commit
    SHA, and the release it is in a `# vX.Y.Z` comment for people and for Dependabot."""
    problems = []
    for path in workflow_files(root):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES_LINE.match(line)
            if not match or match["ref"].startswith(("./", "docker://")):
                continue
            where = f"{path.relative_to(root)}:{number}: {match['ref']}"
            if not PINNED.search(match["ref"]):
                problems.append(f"{where}: not pinned by full commit SHA")
            elif not VERSION_COMMENT.match(match["comment"]):
                problems.append(f"{where}: no `# vX.Y.Z` comment naming the release")
    return problems
