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


# pulumi/pulumi's own modules are the exception: the provider is built against the older
# pkg/v3 and sdk/v3 its release names (pkg/v3 3.276's codegen/schema and sdk/v3 3.276's
# missing util/maputil break its compile), which the CLI cannot use.
PROVIDER_OWN = {"github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3"}
# Where the provider's own graph needs a newer version than the CLI's, the provider keeps
# it (the CLI's graph stays upstream's); these few packages compile twice.
PROVIDER_NEWER = {
    "github.com/Azure/go-ansiterm",
    "github.com/moby/term",
    "github.com/santhosh-tekuri/jsonschema/v5",
}


def test_the_provider_requires_the_cli_versions_of_every_other_shared_module() -> None:
    """Shared packages compile once for both builds (tools/engine/bootstrap.sh build_shared)
    only when both modules require the same versions."""
    cli = _requirements(ENGINE / "cli" / "go.mod")
    provider = _requirements(ENGINE / "kubernetes" / "go.mod")
    shared = (set(cli) & set(provider)) - PROVIDER_OWN
    assert {"google.golang.org/grpc", "google.golang.org/protobuf", "golang.org/x/net"} <= shared
    assert {m for m in shared if provider[m] != cli[m]} == PROVIDER_NEWER
    assert provider["github.com/pulumi/pulumi/pkg/v3"] != cli["github.com/pulumi/pulumi/pkg/v3"]
