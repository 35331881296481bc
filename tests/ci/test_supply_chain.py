"""Supply chain: actions pinned by commit SHA, and a bot that keeps every pin current."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.ci import contract
from tests.ci.contract import ROOT


def test_every_third_party_action_is_pinned_by_commit_sha_with_its_version() -> None:
    refs = [ref for _, ref in contract.action_refs() if not ref.startswith("./")]
    assert len(refs) > 20
    assert contract.sha_pin_problems() == []


def _copy_github(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    return tmp_path


def test_a_tag_pinned_action_is_reported(tmp_path: Path) -> None:
    root = _copy_github(tmp_path)
    ci = root / ".github" / "workflows" / "ci.yml"
    lines = ci.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if "uses: actions/checkout@" in line)
    lines[first] = lines[first].split("uses:")[0] + "uses: actions/checkout@v4.2.2"
    ci.write_text("\n".join(lines) + "\n")
    assert contract.sha_pin_problems(root) == [
        f".github/workflows/ci.yml:{first + 1}: actions/checkout@v4.2.2: not pinned by full commit SHA"
    ]


def test_a_sha_without_its_version_comment_is_reported(tmp_path: Path) -> None:
    root = _copy_github(tmp_path)
    action = root / ".github" / "actions" / "setup-project" / "action.yml"
    text = action.read_text()
    pinned = next(line for line in text.splitlines() if "uses: actions/cache@" in line)
    action.write_text(text.replace(pinned, pinned.split(" #")[0]))
    problems = contract.sha_pin_problems(root)
    assert len(problems) == 1
    assert problems[0].startswith(".github/actions/setup-project/action.yml:")
    assert problems[0].endswith("no `# vX.Y.Z` comment naming the release")


def _updates() -> dict[str, list[str]]:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    return {u["package-ecosystem"]: u["directories"] for u in config["updates"]}


def test_dependabot_watches_every_pin_file() -> None:
    updates = _updates()
    # Composite actions are their own manifests; Dependabot reads them only when listed.
    assert set(updates["github-actions"]) == {"/", "/.github/actions/*"}
    pins = [
        *ROOT.glob("requirements*.txt"),
        *ROOT.glob("*/requirements*.txt"),
        *ROOT.glob("tests/*/requirements*.txt"),
    ]
    pip_dirs = {"/" if p.parent == ROOT else f"/{p.parent.relative_to(ROOT)}" for p in pins}
    assert pip_dirs == {"/", "/policies", "/tests/clients"}
    assert pip_dirs == set(updates["pip"])
    go_dirs = {
        f"/{p.parent.relative_to(ROOT)}" for top in ("tools", "tests") for p in ROOT.glob(f"{top}/**/go.mod")
    }
    assert go_dirs and go_dirs == set(updates["gomod"])
