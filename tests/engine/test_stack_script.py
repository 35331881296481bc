"""What `make preview` runs and which stacks scripts/stack.sh will touch; these checks
stop before the engine, so they need none."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import PASSPHRASE, ROOT, copy_project


def test_make_preview_sets_up_only_what_preview_needs_and_passes_args() -> None:
    result = subprocess.run(
        # --no-print-directory: under `make test` this make is nested and would print its directory.
        ["make", "-n", "--no-print-directory", "preview", "STACK=local", "ARGS=--diff --target urn:x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    commands = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    # No test tools (promtool, nca, actionlint, Debian servers) and no control plane.
    assert commands == [
        "bash scripts/runtime.sh",
        "bash scripts/stack.sh local preview --diff --target urn:x",
    ]
    # runtime.sh sets up the virtualenv and the engine side by side, and nothing else.
    runtime = (ROOT / "scripts" / "runtime.sh").read_text()
    assert sorted(re.findall(r"^bash (scripts/\S+(?: \w+)?)", runtime, re.M)) == [
        "scripts/engine.sh",
        "scripts/setup.sh runtime",
    ]


def _tree(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".venv" not in path.parts
    }


def _stack_script(project: Path, state: Path, stack: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG_PASSPHRASE")}
    base.update({"PULUMI_BACKEND_URL": f"file://{state}", "NO_COLOR": "1", **env})
    return subprocess.run(
        ["bash", "scripts/stack.sh", stack, "preview"],
        cwd=project,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "explanation"),
    [
        ({}, "declares no secretsprovider"),
        ({"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}, "is for the local stack only"),
    ],
    ids=["no-secrets-provider", "development-passphrase"],
)
def test_prod_without_its_secrets_provider_is_refused_and_nothing_changes(
    tmp_path: Path, env: dict[str, str], explanation: str
) -> None:
    project = copy_project(tmp_path / "project")
    state = tmp_path / "state"
    before = _tree(project)

    result = _stack_script(project, state, "prod", **env)

    assert result.returncode == 4, result.stdout + result.stderr
    assert explanation in result.stderr
    assert "Nothing was done" in result.stderr and "Pulumi.prod.yaml unchanged" in result.stderr
    assert _tree(project) == before
    assert not state.exists(), "no backend login, no stack created"


def test_the_development_passphrase_in_a_file_is_refused_too(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE)
    result = _stack_script(project, tmp_path / "state", "prod", PULUMI_CONFIG_PASSPHRASE_FILE=str(secret))
    assert result.returncode == 4
    assert "is for the local stack only" in result.stderr


def _sdk_pin() -> tuple[int, int, int]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    line = next(text for text in lines if text.startswith("pulumi=="))
    major, minor, patch = (int(part) for part in line.removeprefix("pulumi==").split("."))
    return major, minor, patch


@pytest.mark.parametrize(
    ("delta", "ok"),
    [((0, 0, 0), True), ((0, 4, 0), True), ((0, 1000, 0), True), ((1, 0, 0), True), ((0, -1, 0), False)],
)
def test_a_cli_is_good_enough_when_not_older_than_the_sdk_pin(delta: tuple[int, int, int], ok: bool) -> None:
    # The minimum is the `pulumi` pin itself; versions compare by number, not as text.
    have = ".".join(str(pin + d) for pin, d in zip(_sdk_pin(), delta, strict=True))
    script = f'REPO="{ROOT}"; . scripts/lib.sh; . scripts/engine-lib.sh; '
    script += f'version_at_least {have} "$MIN_PULUMI"'
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert (result.returncode == 0) is ok, (have, result.stderr)
