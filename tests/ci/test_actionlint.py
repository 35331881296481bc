"""actionlint, for real, over every workflow and the composite actions they use."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ci.contract import ROOT

pytestmark = pytest.mark.actionlint


def _actionlint() -> str:
    cache = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu"))
    found = shutil.which("actionlint") or (
        str(cache / "bin" / "actionlint") if (cache / "bin" / "actionlint").exists() else None
    )
    if found:
        return found
    message = "actionlint not found on PATH or in $SHIKSHA_CACHE/bin: run make setup (scripts/setup.sh)"
    # In CI a missing tool is a broken setup, not a reason to pass quietly.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    # actionlint also runs shellcheck over every `run:` script when shellcheck is installed.
    return subprocess.run(
        [_actionlint(), "-no-color"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_actionlint_reports_nothing() -> None:
    result = _lint(ROOT)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    # actionlint finds the project (and so ./.github/actions) by its .git directory.
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    ci = repo / ".github" / "workflows" / "ci.yml"
    text = ci.read_text()
    # A job output that does not exist and a gate that needs a job that does not.
    text = text.replace("needs.stacks.outputs.matrix", "needs.stacks.outputs.matrx")
    text = text.replace("needs: [preflight, lint,", "needs: [preflight, lnt,")
    ci.write_text(text)
    result = _lint(repo)
    assert result.returncode == 1
    assert "matrx" in result.stdout and '"lnt"' in result.stdout


def test_actionlint_checks_composite_action_inputs(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    ci = repo / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text().replace("backend: ${{ matrix.backend }}", "backnd: ${{ matrix.backend }}"))
    result = _lint(repo)
    assert result.returncode == 1
    assert "backnd" in result.stdout
