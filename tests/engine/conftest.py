"""The real Pulumi engine (tools/engine/bootstrap.sh) on throwaway copies of the project.

Each test gets its own copy of the project and its own file state backend, so nothing
touches the developer's .pulumi-state, rendered/ or stack files. PULUMI_HOME stays the
shared one, because that is where the bootstrap installed the provider plugins."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import CACHE_BIN, VENV_BIN, require_tool

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "shiksha-local-dev"
ENGINE_TOOLS = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec")
# What a project copy needs to run; caches and outputs stay behind.
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "policies", "scripts")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
ENGINE_TIMEOUT = 900


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Project:
    """A copy of the project with its own state backend, driven by the real CLI."""

    dir: Path
    env: dict[str, str]

    def _run(self, argv: list[str]) -> Result:
        proc = subprocess.run(
            argv, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=ENGINE_TIMEOUT
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def pulumi(self, *args: str, check: bool = True) -> Result:
        result = self._run(["pulumi", *args, "--non-interactive"])
        if check and result.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {result.returncode}:\n{result.output[-6000:]}")
        return result

    def stack_script(self, stack: str, action: str, *args: str) -> Result:
        """scripts/stack.sh exactly as `make preview` / `make up` run it, inside this copy."""
        return self._run(["bash", "scripts/stack.sh", stack, action, *args])

    def select(self, stack: str) -> None:
        """Selects the stack, creating it in this copy's backend on first use."""
        if self.pulumi("stack", "select", stack, check=False).returncode != 0:
            self.pulumi("stack", "init", stack)

    def rendered(self, stack: str = "local") -> list[Path]:
        directory = self.dir / "rendered" / stack
        return sorted(directory.rglob("*.yaml")) if directory.exists() else []


def engine_env(state: Path) -> dict[str, str]:
    for tool in ENGINE_TOOLS:
        require_tool(tool)
    cache = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu"))
    env = dict(os.environ)
    env.pop("PULUMI_ACCESS_TOKEN", None)
    env.update(
        {
            "PATH": f"{CACHE_BIN}:{VENV_BIN}:{env.get('PATH', '')}",
            "SHIKSHA_CACHE": str(cache),
            "PULUMI_HOME": os.environ.get("PULUMI_HOME", str(cache / "pulumi-home")),
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "NO_COLOR": "1",
            # The built engine, even where a pulumi of the user's own is on PATH.
            "ENGINE": "build",
        }
    )
    return env


def copy_project(destination: Path, edit_local: Callable[[dict[str, Any]], None] | None = None) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, destination / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, destination / name, ignore=IGNORE)
    for stack_file in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy2(stack_file, destination / stack_file.name)
    if edit_local is not None:
        path = destination / "Pulumi.local.yaml"
        data = yaml.safe_load(path.read_text())
        edit_local(data.setdefault("config", {}))
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    # Pulumi.yaml and PulumiPolicy.yaml name the virtualenv relative to the project.
    # SHIKSHA_ENGINE_VENV points at another one, e.g. to try pins before requirements.txt moves.
    (destination / ".venv").symlink_to(os.environ.get("SHIKSHA_ENGINE_VENV", ROOT / ".venv"))
    return destination


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    def make(edit_local: Callable[[dict[str, Any]], None] | None = None, name: str = "project") -> Project:
        state = tmp_path / f"{name}-state"
        state.mkdir()
        return Project(copy_project(tmp_path / name, edit_local), engine_env(state))

    return make


def steps_by_op(preview: Mapping[str, Any]) -> dict[str, list[str]]:
    """URNs of a `pulumi preview --json` grouped by operation."""
    ops: dict[str, list[str]] = {}
    for step in preview.get("steps") or []:
        ops.setdefault(step["op"], []).append(step["urn"])
    return ops


def type_and_name(urn: str) -> tuple[str, str]:
    """urn:pulumi:<stack>::<project>::<parent types$>type::name -> (type, name)."""
    parts = urn.split("::")
    return parts[2].split("$")[-1], parts[-1]


WARNING = re.compile(r"^\s*(?:warning\b|.*\bwarning:).*$", re.IGNORECASE | re.MULTILINE)


def warnings(output: str) -> list[str]:
    """The warning lines of an engine run, as the CLI prints diagnostics."""
    return [line.strip() for line in WARNING.findall(output)]


def make_commands(*args: str) -> list[str]:
    """The commands `make -n <args>` would run, one per line, without running them."""
    result = subprocess.run(
        # --no-print-directory: under `make test` this make is nested and would print its directory.
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]
