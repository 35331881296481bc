"""The two Dockerfiles pass hadolint with no finding at any level, and say what the
changelog says they do."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

DOCKER = Path(__file__).resolve().parents[2] / "docker"
DOCKERFILES = ["Dockerfile.backend", "Dockerfile.frontend"]


def _text(name: str) -> str:
    # Continuation lines joined, so each instruction is one line.
    return re.sub(r"\\\n\s*", " ", (DOCKER / name).read_text())


@pytest.mark.hadolint
@pytest.mark.parametrize("name", DOCKERFILES)
def test_hadolint_has_no_findings(name: str) -> None:
    hadolint = require_tool("hadolint")
    result = subprocess.run(
        [hadolint, "--format", "json", "--failure-threshold", "style", str(DOCKER / name)],
        capture_output=True,
        text=True,
        cwd=DOCKER,
    )
    assert json.loads(result.stdout or "[]") == [], result.stdout
    assert result.returncode == 0, result.stderr


def _froms(text: str) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", text, re.M)


def test_backend_image() -> None:
    text = _text("Dockerfile.backend")
    version = re.search(r"^ARG PYTHON_VERSION=(\S+)", text, re.M)
    assert version is not None and re.fullmatch(r"3\.11\.\d+", version.group(1))
    assert _froms(text) == ["python:${PYTHON_VERSION}-slim-bookworm"] * 2
    assert "--mount=type=cache,target=/root/.cache/pip" in text
    for junk in ("__pycache__", "'*.py[co]'", "tests"):
        assert junk in text
    assert re.search(r"ENTRYPOINT \[\"/usr/bin/dumb-init\", \"--\"\]", text)
    assert "--uid 1000 --gid 1000" in text and "USER 1000:1000" in text
    for env in ("PYTHONCOREDUMP=0", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"):
        assert env in text
    healthcheck = re.search(r"^HEALTHCHECK (.*)$", text, re.M)
    assert healthcheck is not None
    assert "--start-period=60s" in healthcheck.group(1) and "curl" in healthcheck.group(1)
    assert "--max-time 5" in healthcheck.group(1)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_oci_labels_come_from_build_args(name: str) -> None:
    text = _text(name)
    for field, arg in (
        ("source", "SOURCE"),
        ("revision", "REVISION"),
        ("version", "VERSION"),
        ("created", "CREATED"),
    ):
        assert f'org.opencontainers.image.{field}="${{{arg}}}"' in text
        assert re.search(rf"^ARG {arg}=", text, re.M)


def test_frontend_image() -> None:
    text = _text("Dockerfile.frontend")
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, re.M)
    assert stages == ["deps", "builder", "runner"]
    assert "--mount=type=cache,target=/root/.npm" in text
    assert "NODE_OPTIONS=--max-old-space-size=4096" in text
    assert re.search(r"npm run build\s+&&\s+rm -rf src node_modules", text)
    assert '"serve@${SERVE_VERSION}"' in text and "USER 1000:1000" in text
    version = re.search(r"^ARG NODE_VERSION=(\S+)", text, re.M)
    assert version is not None and re.fullmatch(r"\d+\.\d+\.\d+", version.group(1))
