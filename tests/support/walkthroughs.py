"""The YAML blocks of docs/walkthroughs.md, as a stack file's `config:` holds them: what the
walkthrough tests (under mocks and through the engine) run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.support.program import ROOT

PAGE = ROOT / "docs" / "walkthroughs.md"


def walkthroughs(page: Path = PAGE) -> dict[str, dict[str, Any]]:
    """Section title -> the config of its one YAML block."""
    found: dict[str, dict[str, Any]] = {}
    for section in re.split(r"^## ", page.read_text(), flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0].strip()
        blocks = re.findall(r"^```yaml\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
        assert len(blocks) == 1, f"{title}: expected one YAML block, found {len(blocks)}"
        found[title] = yaml.safe_load(blocks[0])["config"]
    return found


# `scripts/pulumi config set --secret KEY VALUE`, as a walkthrough's shell blocks write it.
_SECRET_SET = re.compile(r"^scripts/pulumi config set --secret (\S+) ", re.MULTILINE)


def walkthrough_secrets(page: Path = PAGE) -> dict[str, list[str]]:
    """Section title -> the secret config keys its shell blocks set (the reader runs them)."""
    found: dict[str, list[str]] = {}
    for section in re.split(r"^## ", page.read_text(), flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0].strip()
        blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
        found[title] = [key for block in blocks for key in _SECRET_SET.findall(block)]
    return found
