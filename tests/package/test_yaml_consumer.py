"""The component package from another language: the Pulumi YAML program in yaml/ uses
PlatformNamespace, SecureDeployment, ZeroTrustNetwork and IngressWithHeaders through package `shiksha`
(provider/, served by the SDK's component provider host), through the real engine and the
YAML language host built from pulumi-yaml (scripts/setup-test-tools.sh), against a test
kube-apiserver, with the policy pack. The objects must exist in the API server as the
estate's components build them, and the pack must judge the components' children."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.apiserver.controlplane import CONTEXT, ControlPlane
from tests.apiserver.estate import vendored_crds, wait_for_crds
from tests.apiserver.kube import Kube
from tests.support.tools import CACHE_BIN, VENV_BIN, require_tool

pytestmark = [pytest.mark.apiserver, pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).parent / "yaml" / "Pulumi.yaml"
ENGINE = ("pulumi", "pulumi-language-python", "pulumi-language-yaml")
NAMESPACE = "shiksha-yaml"
PART_OF = "shiksha-yaml"


class NoAliases(yaml.SafeDumper):
    """Pulumi YAML refuses alias nodes, which PyYAML writes for a dict used twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class YamlProgram:
    """A copy of yaml/ with its own state backend, the package path pointing at provider/."""

    def __init__(self, workdir: Path, kubeconfig: Path):
        self.dir = workdir / "program"
        self.dir.mkdir()
        self.spec = yaml.safe_load(PROGRAM.read_text())
        # The committed program names the package relative to its place in the checkout.
        assert (PROGRAM.parent / self.spec["packages"]["shiksha"]).resolve() == ROOT / "provider"
        self.spec["packages"]["shiksha"] = str(ROOT / "provider")
        self.write()
        state = workdir / "state"
        state.mkdir()
        cache = CACHE_BIN.parent
        self.env = {
            **os.environ,
            "PATH": f"{CACHE_BIN}:{VENV_BIN}:{os.environ.get('PATH', '')}",
            "PULUMI_HOME": os.environ.get("PULUMI_HOME", str(cache / "pulumi-home")),
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "package-test-only",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "NO_COLOR": "1",
        }
        self.kubeconfig = kubeconfig
        self.state = state
        # A value of this run only, so finding it anywhere means it leaked.
        self.api_token = f"token-{secrets.token_hex(12)}"

    def write(self) -> None:
        (self.dir / "Pulumi.yaml").write_text(yaml.dump(self.spec, Dumper=NoAliases, sort_keys=False))

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if check:
            assert result.returncode == 0, (
                f"pulumi {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def init_stack(self, stack: str) -> None:
        self.pulumi("stack", "init", stack)
        self.pulumi("config", "set", "kubeconfig", str(self.kubeconfig), "--stack", stack)
        self.pulumi("config", "set", "kubeContext", CONTEXT, "--stack", stack)
        self.pulumi("config", "set", "--secret", "apiToken", self.api_token, "--stack", stack)


@pytest.fixture(scope="module")
def program(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> YamlProgram:
    for tool in ENGINE:
        require_tool(tool)
    return YamlProgram(tmp_path_factory.mktemp("yaml-consumer"), control_plane.kubeconfig)


def live(kube: Kube, api: str, kind: str, name: str, namespace: str | None = NAMESPACE) -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    response = kube.get({"apiVersion": api, "kind": kind, "metadata": meta})
    assert response.status == 200, (
        f"GET {api} {kind} {namespace}/{name}: {response.status} {response.message}"
    )
    return dict(response.body)


def install_edge_crds(kube: Kube) -> None:
    """The Gateway API and Envoy Gateway kinds IngressWithHeaders writes by default: a cluster
    gets them with its controller, the test API server from the vendored copies."""
    groups = ("gateway.networking.k8s.io", "gateway.envoyproxy.io")
    crds = [crd for (group, _), crd in vendored_crds().items() if group in groups]
    for crd in crds:
        response = kube.apply(crd)
        assert response.status in (200, 201), (
            f"apply CRD {crd['metadata']['name']}: {response.status} {response.message}"
        )
    wait_for_crds(kube, crds)


def test_yaml_program_deploys_the_components_through_the_engine(program: YamlProgram, kube: Kube) -> None:
    install_edge_crds(kube)
    program.init_stack("up")
    up = program.pulumi(
        "up", "--yes", "--skip-preview", "--policy-pack", str(ROOT / "policies"), "--stack", "up"
    )
    assert "shiksha-setu-policies" in up.stdout, up.stdout[-3000:]

    # The guardrails of PlatformNamespace, with the estate's Pod Security labels.
    namespace = live(kube, "v1", "Namespace", NAMESPACE, None)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    live(kube, "v1", "ResourceQuota", "platform-quota")
    live(kube, "v1", "LimitRange", "platform-limits")

    # SecureDeployment's objects, hardened as the estate's own workloads are.
    for name, port in (("web", 8080), ("api", 8000)):
        deployment = live(kube, "apps/v1", "Deployment", name)
        labels = deployment["metadata"]["labels"]
        assert (
            labels["app.kubernetes.io/part-of"] == PART_OF and labels["app.kubernetes.io/version"] == "1.4.2"
        )
        assert deployment["spec"]["replicas"] == 2
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == name and pod["automountServiceAccountToken"] is False
        container = pod["containers"][0]
        assert container["image"] == f"registry.example.org/shiksha/{name}:1.4.2"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["readinessProbe"]["httpGet"]["port"] == "http"
        assert {p["containerPort"] for p in container["ports"]} >= {port}
        live(kube, "v1", "ServiceAccount", name)
        live(kube, "v1", "Service", name)
        live(kube, "policy/v1", "PodDisruptionBudget", name)

    # ZeroTrustNetwork's policies, derived from the YAML's workloads: web calls api on its
    # http port (8000, connectsTo) and never on metrics.
    for name in ("default-deny-all", "allow-dns-egress", "web-netpol", "api-netpol"):
        live(kube, "networking.k8s.io/v1", "NetworkPolicy", name)
    egress = live(kube, "networking.k8s.io/v1", "NetworkPolicy", "web-netpol")["spec"]["egress"]
    to_api = [rule for rule in egress if any(
        peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "api"
        for peer in rule.get("to", [])
    )]  # fmt: skip
    assert [p["port"] for rule in to_api for p in rule["ports"]] == [8000], egress

    # IngressWithHeaders' secure defaults: a Gateway (HTTPS only, HTTP just redirects) and one
    # HTTPRoute whose paths go to the Services the YAML named, with the security headers.
    gateway = live(kube, "gateway.networking.k8s.io/v1", "Gateway", "shiksha-setu")
    assert {listener["protocol"] for listener in gateway["spec"]["listeners"]} == {"HTTPS", "HTTP"}
    live(kube, "gateway.networking.k8s.io/v1", "HTTPRoute", f"{PART_OF}-http-redirect")
    route = live(kube, "gateway.networking.k8s.io/v1", "HTTPRoute", PART_OF)
    assert route["spec"]["hostnames"] == ["learn.example.org"]
    backends = {
        match["path"]["value"]: [(ref["name"], ref["port"]) for ref in rule.get("backendRefs", [])]
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
    }
    assert backends["/"] == [("web", 8080)] and backends["/api"] == [("api", 8000)], backends
    # The default ML and WebSocket paths, served by the routes covering them.
    assert backends["/api/v2/ml"] == [("api", 8000)] and backends["/ws"] == [("api", 8000)], backends
    assert backends["/.env"] == [], backends
    headers = route["spec"]["rules"][0]["filters"][0]["responseHeaderModifier"]["set"]
    assert "Strict-Transport-Security" in {h["name"] for h in headers}, headers

    # secretEnv reaches the pod only through the Secret, and the value stays a secret: in
    # the API server as set, nowhere in the engine's output, the state or the project.
    secret = live(kube, "v1", "Secret", "web-env")
    assert base64.b64decode(secret["data"]["API_TOKEN"]).decode() == program.api_token
    env = live(kube, "apps/v1", "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["env"]
    token_env = next(e for e in env if e["name"] == "API_TOKEN")
    assert token_env == {
        "name": "API_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "web-env", "key": "API_TOKEN"}},
    }
    leaks = [
        str(p)
        for p in (*program.state.rglob("*"), *program.dir.rglob("*"))
        if p.is_file() and program.api_token in p.read_text(errors="replace")
    ]
    assert not leaks and program.api_token not in up.stdout + up.stderr, leaks

    outputs = json.loads(program.pulumi("stack", "output", "--json", "--stack", "up").stdout)
    assert outputs["namespace"] == NAMESPACE and outputs["webService"] == "web"
    assert outputs["policies"] == ["default-deny-all", "allow-dns-egress", "api-netpol", "web-netpol"]

    # The components are the estate's types, their objects are their children.
    state = json.loads(program.pulumi("stack", "export", "--stack", "up").stdout)
    by_urn = {r["urn"]: r for r in state["deployment"]["resources"]}
    deployment_urn = next(
        u for u, r in by_urn.items() if r["type"] == "kubernetes:apps/v1:Deployment" and u.endswith("::web")
    )
    assert by_urn[by_urn[deployment_urn]["parent"]]["type"] == "shiksha:index:SecureDeployment"
    types = {r["type"] for r in by_urn.values()}
    assert {
        "shiksha:index:PlatformNamespace",
        "shiksha:index:ZeroTrustNetwork",
        "shiksha:index:IngressWithHeaders",
    } <= types

    # Idempotent: the wire's numbers and the host's mapping change nothing on a second run.
    again = program.pulumi(
        "up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", "up", check=False
    )
    assert again.returncode == 0, f"the second pulumi up changed something:\n{again.stdout[-4000:]}"

    # The provider's children go with the program: destroy leaves none of them behind.
    program.pulumi("destroy", "--yes", "--skip-preview", "--stack", "up")
    for api, kind, name in (
        ("apps/v1", "Deployment", "web"),
        ("v1", "Secret", "web-env"),
        ("networking.k8s.io/v1", "NetworkPolicy", "default-deny-all"),
        ("v1", "ResourceQuota", "platform-quota"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute", PART_OF),
    ):
        response = kube.get(
            {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": NAMESPACE}}
        )
        assert response.status == 404, f"GET {kind} {NAMESPACE}/{name} after destroy: {response.status}"


def with_web_spec(spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The program with SecureDeployment `web`'s spec changed (ZeroTrustNetwork keeps the good one)."""
    web = spec["resources"]["web"]
    good = spec["variables"]["webSpec"]
    changed = {**web, "properties": {**web["properties"], "spec": {**good, **changes}}}
    return {**spec, "resources": {**spec["resources"], "web": changed}}


def test_bad_inputs_are_refused_naming_the_input_and_field(program: YamlProgram) -> None:
    saved = program.spec
    program.spec = with_web_spec(saved, replicas=0, colour="blue")
    program.write()
    try:
        program.init_stack("bad")
        result = program.pulumi("preview", "--stack", "bad", check=False)
    finally:
        program.spec = saved
        program.write()
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-4000:]
    assert "SecureDeployment 'web': invalid inputs" in out, out[-4000:]
    assert "input `spec`: replicas: got 0" in out, out[-4000:]
    assert "input `spec`: colour: unknown key" in out, out[-4000:]


def test_the_policy_pack_judges_the_components_children(program: YamlProgram) -> None:
    saved = program.spec
    loosened = {"runAsNonRoot": False, "optOutReason": "planted by the package test"}
    program.spec = with_web_spec(saved, security=loosened)
    program.write()
    try:
        program.init_stack("loosened")
        result = program.pulumi(
            "preview", "--policy-pack", str(ROOT / "policies"), "--stack", "loosened", check=False
        )
    finally:
        program.spec = saved
        program.write()
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-4000:]
    assert "[mandatory]" in out and "(kubernetes:apps/v1:Deployment: web)" in out, out[-6000:]
