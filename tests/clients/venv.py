"""The Celery clients' own virtualenv (scripts/setup-test-tools.sh makes it).

Celery 5.7 pins python-dateutil 2.9.0.post0 and the Kubernetes client of requirements.txt
needs >= 3, so the clients cannot live in .venv: they run as subprocesses of their own
interpreter, at a path keyed by the hash of their pinned requirements.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.support.tools import CACHE_BIN

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "tests" / "clients" / "requirements.txt"


def clients_bin() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    directory = CACHE_BIN.parent / "venvs" / f"celery-clients-{digest}" / "bin"
    if not (directory / "celery").is_file():
        message = (
            f"the Celery clients' virtualenv {directory.parent} is missing; `make test-tools` installs it"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return directory
