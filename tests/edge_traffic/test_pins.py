"""The Traefik and Gateway API the live tests run are the releases tools/traefik/go.mod pins
(Dependabot moves that file; scripts/setup-test-tools.sh builds and fetches from it)."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.support.program import ROOT

from .traefik import crd_files

pytestmark = pytest.mark.traefik


def _pin(module: str) -> str:
    go_mod = (ROOT / "tools" / "traefik" / "go.mod").read_text()
    match = re.search(rf"^\s*{re.escape(module)} (v\S+)$", go_mod, re.M)
    assert match is not None, f"{module} is not required in tools/traefik/go.mod"
    return match[1]


def test_the_built_traefik_is_the_pinned_release(traefik_bin: str) -> None:
    out = subprocess.run(
        [traefik_bin, "version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert re.search(r"^Version:\s+(\S+)$", out, re.M)[1] == _pin("github.com/traefik/traefik/v3")  # type: ignore[index]


def test_the_gateway_api_crds_are_the_pinned_standard_channel(traefik_bin: str) -> None:
    [gateway_api] = [p for p in crd_files(traefik_bin) if p.name.startswith("gateway-api-")]
    docs = [d for d in yaml.safe_load_all(gateway_api.read_text()) if d]
    annotations = [d["metadata"]["annotations"] for d in docs]
    assert {a["gateway.networking.k8s.io/bundle-version"] for a in annotations} == {
        _pin("sigs.k8s.io/gateway-api")
    }
    assert {a["gateway.networking.k8s.io/channel"] for a in annotations} == {"standard"}
    assert {d["spec"]["names"]["kind"] for d in docs} >= {"GatewayClass", "Gateway", "HTTPRoute"}
