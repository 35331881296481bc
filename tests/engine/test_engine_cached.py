"""The engine step says it uses the cached engine when it builds nothing (scripts/engine.sh,
tools/engine/bootstrap.sh), in a cache of its own that links the built engine's parts, so
the shared cache's links are never rewritten under the other engine tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

from .conftest import ROOT

pytestmark = [pytest.mark.engine, pytest.mark.slow]

CACHE = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu"))


def test_a_warm_cache_builds_nothing_and_says_so(tmp_path: Path) -> None:
    require_tool("pulumi")  # in CI a missing engine fails, never skips
    engine, plugins = CACHE / "engine", CACHE / "pulumi-home" / "plugins"
    if not (CACHE / "bin" / "pulumi").exists() or not plugins.is_dir():
        pytest.skip("the engine is not built (make engine)")
    cache = tmp_path / "cache"
    (cache / "pulumi-home" / "plugins").mkdir(parents=True)
    (cache / "bin").mkdir()
    for tool in (CACHE / "bin").glob("pulumi*"):
        (cache / "bin" / tool.name).symlink_to(tool.resolve())
    (cache / "engine").symlink_to(engine)
    for plugin in plugins.iterdir():
        (cache / "pulumi-home" / "plugins" / plugin.name).symlink_to(plugin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    # No pulumi of the user's own on PATH, and no Go: nothing could be built even if asked.
    env.update({"SHIKSHA_CACHE": str(cache), "ENGINE": "auto", "PATH": "/usr/bin:/bin", "GOPROXY": "off"})
    result = subprocess.run(
        ["bash", "scripts/engine.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "the engine built offline, from its cache" in output
    assert "using the cached engine" in output and "nothing built" in output
    assert "building the engine offline" not in output and "building what is missing" not in output
    assert "go build" not in output, output
