"""What `make preview` runs and which stacks scripts/stack.sh will touch; these checks
stop before the engine, so they need none."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

from .conftest import PASSPHRASE, ROOT, copy_project, make_commands


def test_make_preview_sets_up_only_what_preview_needs_and_passes_args() -> None:
    commands = make_commands("preview", "STACK=local", "ARGS=--diff --target urn:x")
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


# ---------------------------------------------------------------- provider plugins the engine lacks


def _built_engine_env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update({"PULUMI_BACKEND_URL": f"file://{state}", "NO_COLOR": "1", "ENGINE": "build"})
    return env


@pytest.mark.engine
def test_docker_host_without_the_docker_plugin_says_why_and_what_works(tmp_path: Path) -> None:
    """The built engine has no Docker provider (the Go module proxy does not serve it): the
    project says so before the engine starts, not the engine's bare 'no resource plugin'."""

    def docker_host(config: dict[str, object]) -> None:
        config["shiksha-setu:target"] = "docker-host"

    project = copy_project(tmp_path / "project", docker_host)
    state = tmp_path / "state"
    env = _built_engine_env(state)
    require_tool("pulumi")  # in CI a missing engine fails, never skips
    if not _has_built_engine(env, project):
        pytest.skip("the built engine is not ready (make engine)")
    result = subprocess.run(
        ["bash", "scripts/stack.sh", "local", "preview"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    docker = (ROOT / "requirements.txt").read_text().split("pulumi-docker==", 1)[1].split()[0]
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"pulumi-resource-docker v{docker}" in result.stderr
    assert "docs/containers.md" in result.stderr and "Go module proxy" in result.stderr
    assert "make render STACK=local" in result.stderr
    assert f"pulumi plugin install resource docker {docker}" in result.stderr
    assert "no resource plugin" not in result.stdout + result.stderr, "the engine ran"
    assert not state.exists(), "no login, no stack created"


def _has_built_engine(env: dict[str, str], project: Path) -> bool:
    script = f'REPO="{project}"; . scripts/lib.sh; . scripts/engine-lib.sh; built_engine_ready'
    return subprocess.run(["bash", "-c", script], cwd=project, env=env, timeout=30).returncode == 0


@pytest.mark.engine
@pytest.mark.parametrize("installed", [True, False], ids=["installed", "missing"])
def test_the_plugin_check_asks_the_engine_itself(tmp_path: Path, installed: bool) -> None:
    """has_resource_plugin against the real CLI's `plugin ls`, with a plugin home holding a
    docker provider or not: the check is not a matcher that never finds anything."""
    env = _built_engine_env(tmp_path / "state")
    require_tool("pulumi")
    if not _has_built_engine(env, ROOT):
        pytest.skip("the built engine is not ready (make engine)")
    home = tmp_path / "pulumi-home"
    plugin = home / "plugins" / "resource-docker-v5.2.0"
    plugin.mkdir(parents=True)
    if installed:
        binary = plugin / "pulumi-resource-docker"
        binary.write_text("#!/bin/sh\nexit 1\n")
        binary.chmod(0o755)
        (home / "plugins" / "resource-docker-v5.2.0.lock").touch()
    else:
        plugin.rmdir()
    script = (
        f'REPO="{ROOT}"; . scripts/lib.sh; . scripts/engine-lib.sh; use_built_engine; '
        f'export PULUMI_HOME="{home}"; has_resource_plugin pulumi docker 5.2.0'
    )
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode == 0) is installed, result.stderr
