"""A newcomer's first runs, with the real engine: a clean local preview, configuration
errors without a traceback, a program without config under the policy pack, and the
user's own Pulumi used as it is."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Project, warnings

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("engine")]

POLICY_PACK = "shiksha-setu-policies"


def test_first_local_preview_prints_no_warning(make_project: Callable[..., Project]) -> None:
    project = make_project()
    result = project.stack_script("local", "preview")

    assert result.returncode == 0, result.output[-6000:]
    assert POLICY_PACK in result.output
    assert warnings(result.output) == []


def test_prod_keeps_its_warnings_about_missing_cluster_facts(make_project: Callable[..., Project]) -> None:
    # Guards the test above: the same run on a stack without the cluster facts does warn,
    # so an empty list there is not a matcher that sees nothing.
    def like_prod(config: dict[str, Any]) -> None:
        config.pop("shiksha-setu:network")

    project = make_project(like_prod)
    result = project.stack_script("local", "preview")

    assert result.returncode == 0, result.output[-6000:]
    found = warnings(result.output)
    assert any("network.kubernetesApi.cidrs is empty" in line for line in found), found
    assert any("network.nodes.cidrs is empty" in line for line in found), found
    assert any("no network.rules entry lets alertmanager" in line for line in found), found


def test_a_configuration_error_is_one_clean_error_listing_every_problem(
    make_project: Callable[..., Project],
) -> None:
    def two_mistakes(config: dict[str, Any]) -> None:
        config["shiksha-setu:workloads"] = {"api": {"replicas": 0}, "worker": {"replicas": -2}}

    project = make_project(two_mistakes)
    project.select("local")
    result = project.pulumi("preview", "--policy-pack", "policies", check=False)

    assert result.returncode != 0
    assert "shiksha-setu:workloads.api.replicas" in result.output
    assert "shiksha-setu:workloads.worker.replicas" in result.output
    assert "Traceback" not in result.output
    assert "unhandled exception" not in result.output
    assert "invalid stack configuration" in result.output
    # The program reported it and bailed (exit 32): the engine adds no line of its own.
    assert "an unhandled error occurred" not in result.output, result.output[-3000:]
    assert "non-zero exit code" not in result.output, result.output[-3000:]


BARE_PROGRAM = '''"""A program with no stack config at all."""
import pulumi

pulumi.export("greeting", "hello")
'''


def test_a_program_without_config_previews_under_the_policy_pack(
    make_project: Callable[..., Project],
) -> None:
    project = make_project()
    bare = project.dir / "bare"
    bare.mkdir()
    (bare / "__main__.py").write_text(BARE_PROGRAM)
    project_file = {
        "name": "bare",
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}},
    }
    (bare / "Pulumi.yaml").write_text(yaml.safe_dump(project_file))

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=bare,
            env=project.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    init = pulumi("stack", "init", "dev")
    assert init.returncode == 0, init.stdout + init.stderr
    assert not (bare / "Pulumi.dev.yaml").exists() or "config" not in (bare / "Pulumi.dev.yaml").read_text()
    preview = pulumi("preview", "--policy-pack", str(project.dir / "policies"))

    output = preview.stdout + preview.stderr
    assert preview.returncode == 0, output[-6000:]
    assert POLICY_PACK in output
    assert "greeting" in output
    assert "Traceback" not in output


# ---------------------------------------------------------------- the user's own engine


def _engine_file(name: str) -> Path:
    found = shutil.which(name, path=str(Path(os.environ.get("SHIKSHA_CACHE", "")) / "bin")) or shutil.which(
        name, path=str(Path.home() / ".cache" / "shiksha-setu" / "bin")
    )
    if not found:
        pytest.skip(f"{name} is not built (make engine)")
    return Path(found).resolve()


@pytest.fixture
def user_engine(make_project: Callable[..., Project], tmp_path: Path) -> tuple[Project, dict[str, str]]:
    """A machine with Pulumi installed the usual way: pulumi and its language host in one
    directory on PATH, the Kubernetes provider in the user's own plugin home, no Go."""
    project = make_project()
    user_bin = tmp_path / "user-bin"
    user_bin.mkdir()
    for name in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec"):
        shutil.copy2(_engine_file(name), user_bin / name)
    home = tmp_path / "user-pulumi-home"
    provider = next(
        (Path(project.env["PULUMI_HOME"]) / "plugins").glob(
            "resource-kubernetes-v*/pulumi-resource-kubernetes"
        )
    )
    version = provider.parent.name.removeprefix("resource-kubernetes-v")
    env = {key: value for key, value in project.env.items() if key not in {"ENGINE", "PULUMI_HOME"}}
    env.update(
        {
            "PATH": f"{user_bin}:{project.dir / '.venv' / 'bin'}:/usr/bin:/bin",
            "PULUMI_HOME": str(home),
            # An empty cache: anything built would land here.
            "SHIKSHA_CACHE": str(tmp_path / "empty-cache"),
        }
    )
    install = subprocess.run(
        ["pulumi", "plugin", "install", "resource", "kubernetes", version, "--file", str(provider)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stderr
    return project, env


def _local_preview(project: Project, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make preview` of the project copy's local stack, in `env`."""
    return subprocess.run(
        ["bash", "scripts/stack.sh", "local", "preview"],
        cwd=project.dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_a_pulumi_on_path_is_used_and_nothing_is_built(user_engine: tuple[Project, dict[str, str]]) -> None:
    project, env = user_engine
    assert shutil.which("go", path=env["PATH"]) is None

    engine = subprocess.run(
        ["bash", "scripts/engine.sh"], cwd=project.dir, env=env, capture_output=True, text=True, timeout=120
    )
    assert engine.returncode == 0, engine.stdout + engine.stderr
    assert "your pulumi" in engine.stdout and "nothing to build" in engine.stdout
    assert not Path(env["SHIKSHA_CACHE"], "engine").exists()

    preview = _local_preview(project, env)
    output = preview.stdout + preview.stderr
    assert preview.returncode == 0, output[-6000:]
    assert "engine: your pulumi" in output
    assert POLICY_PACK in output
    assert not Path(env["SHIKSHA_CACHE"], "engine").exists()


def test_engine_system_without_a_pulumi_fails_and_builds_nothing(
    user_engine: tuple[Project, dict[str, str]],
) -> None:
    project, env = user_engine
    env = {**env, "PATH": f"{project.dir / '.venv' / 'bin'}:/usr/bin:/bin", "ENGINE": "system"}
    result = subprocess.run(
        ["bash", "scripts/engine.sh"], cwd=project.dir, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    assert "ENGINE=system: no pulumi CLI on your PATH" in result.stderr
    assert "ENGINE=build" in result.stderr
    assert not Path(env["SHIKSHA_CACHE"], "engine").exists()


def test_a_configuration_error_through_your_own_pulumi_is_one_clean_error(
    user_engine: tuple[Project, dict[str, str]],
) -> None:
    """The same through `make preview` with a pulumi of the user's own on PATH."""
    project, env = user_engine
    stack_file = project.dir / "Pulumi.local.yaml"
    data = yaml.safe_load(stack_file.read_text())
    data["config"]["shiksha-setu:workloads"] = {"api": {"replicas": 0}}
    stack_file.write_text(yaml.safe_dump(data, sort_keys=False))
    preview = _local_preview(project, env)
    output = preview.stdout + preview.stderr
    assert preview.returncode != 0
    assert "engine: your pulumi" in output
    assert "shiksha-setu:workloads.api.replicas" in output
    assert "an unhandled error occurred" not in output, output[-3000:]
    assert "non-zero exit code" not in output and "Traceback" not in output, output[-3000:]
