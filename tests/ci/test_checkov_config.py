"""The checkov settings: every skipped check carries its reason."""

from __future__ import annotations

import re

import yaml

from tests.ci.contract import ROOT

CONFIG = ROOT / ".checkov.yaml"
SKIP_LINE = re.compile(r"^\s*-\s*(?P<check>CKV\w*_\d+)\s*(?:#\s*reason:\s*(?P<reason>.*))?$")


def test_every_skipped_check_has_a_reason() -> None:
    skipped = yaml.safe_load(CONFIG.read_text())["skip-check"]
    lines = [m for line in CONFIG.read_text().splitlines() if (m := SKIP_LINE.match(line))]
    assert [m["check"] for m in lines] == skipped
    unexplained = [m["check"] for m in lines if not m["reason"] or len(m["reason"].split()) < 5]
    assert unexplained == []


def test_the_script_pins_checkov_and_writes_sarif() -> None:
    script = (ROOT / "scripts" / "checkov.sh").read_text()
    assert "CHECKOV_VERSION=3.3.30" in script
    assert "--output sarif" in script and "build/checkov" in script
    assert "--config-file .checkov.yaml" in script and "--skip-download" in script
