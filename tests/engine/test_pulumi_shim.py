"""scripts/pulumi and `make shell`: the docs' `pulumi ...` commands as written, with the built
engine, on a copy of the project, with nothing of the engine's environment set beforehand:
no PULUMI_HOME, no backend, no passphrase, the engine not on PATH."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support.tools import CACHE_BIN

from .conftest import ROOT, Project, copy_project, make_commands

PLANTED = "planted-Shim-Secret-5d21"


def _user_env(project: Project) -> dict[str, str]:
    """The shell of a user who has run `make engine` and nothing else."""
    env = {key: value for key, value in project.env.items() if not key.startswith("PULUMI_")}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if p and Path(p) != CACHE_BIN)
    env["ENGINE"] = "build"
    return env


def _shim(
    project: Project, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["scripts/pulumi", *args],
        cwd=project.dir,
        env=env or _user_env(project),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _ok(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 0, (
        f"scripts/pulumi {what} exited {result.returncode}:\n{(result.stdout + result.stderr)[-6000:]}"
    )
    return result.stdout


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.xdist_group("engine")
def test_the_docs_pulumi_commands_work_through_the_shim(make_project: Callable[..., Project]) -> None:
    project = make_project()
    repo_stack_file = _digest(ROOT / "Pulumi.local.yaml")

    # docs: `pulumi config set --secret KEY VALUE`, on a stack that does not exist yet.
    _ok(_shim(project, "config", "set", "--secret", "redisCachePassword", PLANTED), "config set --secret")
    stack_file = (project.dir / "Pulumi.local.yaml").read_text()
    entry = yaml.safe_load(stack_file)["config"]["shiksha-setu:redisCachePassword"]
    assert set(entry) == {"secure"}, entry
    assert PLANTED not in stack_file
    # The local backend in the copy's .pulumi-state, and the development passphrase that
    # decrypts the committed secrets as well as the new one.
    assert (project.dir / ".pulumi-state").is_dir()
    assert _ok(_shim(project, "config", "get", "redisCachePassword"), "config get").strip() == PLANTED
    committed = _ok(_shim(project, "config", "get", "postgresPassword"), "config get postgresPassword")
    assert committed.strip(), "the committed development secret did not decrypt"

    # `pulumi preview` (the policy pack as make preview runs it), `pulumi up`, `pulumi stack output`.
    preview = _ok(_shim(project, "preview", "--policy-pack", "policies", "--non-interactive"), "preview")
    assert "shiksha-setu-policies" in preview
    _ok(_shim(project, "up", "--yes", "--skip-preview", "--non-interactive"), "up")
    outputs = json.loads(_ok(_shim(project, "stack", "output", "--json"), "stack output --json"))
    assert outputs, "the stack has no outputs after an up"
    assert PLANTED not in json.dumps(outputs)

    # `pulumi destroy`, then the `pulumi stack rm local` destroy suggests.
    _ok(_shim(project, "destroy", "--yes", "--non-interactive"), "destroy")
    _ok(_shim(project, "stack", "rm", "local", "--yes", "--non-interactive"), "stack rm local")
    stacks = json.loads(_ok(_shim(project, "stack", "ls", "--json"), "stack ls --json"))
    assert [s["name"] for s in stacks] == [], stacks
    # The repo's own stack file was never the one written.
    assert _digest(ROOT / "Pulumi.local.yaml") == repo_stack_file


@pytest.mark.parametrize(
    "args",
    [
        ("config", "set", "--secret", "--stack", "prod", "redisPassword", PLANTED),
        ("-s", "prod", "config", "set", "--secret", "redisPassword", PLANTED),
        ("--stack=prod", "preview"),
        ("stack", "rm", "prod"),
    ],
    ids=["--stack", "-s", "--stack=", "stack-rm-name"],
)
def test_another_stack_is_refused_the_development_passphrase(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Refused before any engine is looked for, so this needs none."""
    project = Project(copy_project(tmp_path / "project"), {})
    prod = project.dir / "Pulumi.prod.yaml"
    before = _digest(prod)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env["PULUMI_CONFIG_PASSPHRASE"] = "shiksha-local-dev"
    result = _shim(project, *args, env=env)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "stack prod: the development passphrase" in result.stderr
    assert "pulumi was not run" in result.stderr
    assert _digest(prod) == before
    assert not (project.dir / ".pulumi-state").exists()


def test_make_shell_sets_up_the_runtime_and_passes_the_stack() -> None:
    commands = make_commands("shell", "STACK=prod")
    assert commands == ["bash scripts/runtime.sh", "STACK=prod bash scripts/shell.sh"]


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.xdist_group("engine")
def test_make_shell_puts_the_shim_first_on_path(make_project: Callable[..., Project]) -> None:
    project = make_project()
    env = {**_user_env(project), "SHELL": "/bin/bash"}
    commands = "command -v pulumi\npulumi config get redisPassword\nexit\n"
    result = subprocess.run(
        ["bash", "scripts/shell.sh"],
        cwd=project.dir,
        env=env,
        input=commands,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert str(project.dir / "scripts" / "shell" / "pulumi") in lines, result.stdout
    assert "shell for stack local" in result.stdout
    # The committed development secret, decrypted by the stack's own passphrase.
    assert lines[-1].strip() and "secure" not in lines[-1], result.stdout


def test_the_shim_is_documented_where_the_docs_type_pulumi() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make shell" in readme
    getting_started = (ROOT / "docs" / "getting-started.md").read_text()
    assert "scripts/pulumi" in getting_started and "make shell" in getting_started
    assert os.access(ROOT / "scripts" / "pulumi", os.X_OK)
