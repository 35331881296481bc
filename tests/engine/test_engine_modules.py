"""The engine's Go modules: the language host shares the CLI's module versions, so a cold
build compiles each shared package once (tools/engine/langhost/go.mod)."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import ROOT

ENGINE = ROOT / "tools" / "engine"
REQUIREMENT = re.compile(r"^\s*(?:require\s+)?(?P<module>[\w.-]+\.[\w./~-]+)\s+(?P<version>v\S+)", re.M)


def _requirements(go_mod: Path) -> dict[str, str]:
    return {m["module"]: m["version"] for m in REQUIREMENT.finditer(go_mod.read_text())}


def test_the_language_host_requires_the_cli_versions_of_every_shared_module() -> None:
    cli = _requirements(ENGINE / "cli" / "go.mod")
    host = _requirements(ENGINE / "langhost" / "go.mod")
    shared = set(cli) & set(host)
    assert "github.com/pulumi/pulumi/sdk/v3" in shared and "google.golang.org/grpc" in shared
    assert {m: (host[m], cli[m]) for m in shared if host[m] != cli[m]} == {}


def test_the_cli_is_built_at_the_version_the_bootstrap_names() -> None:
    bootstrap = (ENGINE / "bootstrap.sh").read_text()
    version = re.search(r"^PULUMI_VERSION=(\S+)$", bootstrap, re.M)
    assert version is not None
    want = f"v{version[1]}"
    assert _requirements(ENGINE / "cli" / "go.mod")["github.com/pulumi/pulumi/pkg/v3"] == want
    assert _requirements(ENGINE / "langhost" / "go.mod")["github.com/pulumi/pulumi/sdk/v3"] == want
