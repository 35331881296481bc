"""Raw YAML and Helm charts through the real engine: judged as their kinds.

A program of its own (not this estate) registers, through a Kubernetes provider that
renders to a directory (no cluster): a yaml/v2 ConfigFile (a DaemonSet and a `List` of
Deployments), a yaml/v2 ConfigGroup (a Pod) and a helm/v4 Chart from a tiny local chart
directory (a Deployment). `pulumi preview --policy-pack policies` must fail with the
mandatory Pod Security violations of each child, by its own kind and name, and must not
report any namespace the program never mentions (no estate name is built into the pack).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.engine.conftest import ENGINE_TIMEOUT, ROOT, engine_env

pytestmark = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.xdist_group("engine"),
    pytest.mark.timeout(1200),
]

PRIVILEGED_CONTAINER = """\
        - name: agent
          image: registry.invalid/agent:1.0.0
          securityContext: {privileged: true}
"""

RAW = f"""\
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: node-agent, namespace: probe}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      hostNetwork: true
      containers:
{PRIVILEGED_CONTAINER}---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: listed, namespace: probe}}
    spec:
      selector: {{matchLabels: {{app: listed}}}}
      template:
        metadata: {{labels: {{app: listed}}}}
        spec:
          containers:
            - name: app
              image: registry.invalid/app:1.0.0
              securityContext: {{capabilities: {{add: [SYS_ADMIN]}}}}
"""

GROUP_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: grouped, namespace: probe}
spec:
  hostPID: true
  containers:
    - name: app
      image: registry.invalid/app:1.0.0
"""

CHART_YAML = "apiVersion: v2\nname: probe\nversion: 0.1.0\n"
CHART_DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {{{{ .Release.Name }}}}-charted, namespace: probe}}
spec:
  selector: {{matchLabels: {{app: charted}}}}
  template:
    metadata: {{labels: {{app: charted}}}}
    spec:
      containers:
{PRIVILEGED_CONTAINER}"""

PROGRAM = """\
import pulumi
import pulumi_kubernetes as k8s

render = k8s.Provider("render", render_yaml_to_directory="rendered")
opts = pulumi.ResourceOptions(provider=render)
k8s.yaml.v2.ConfigFile("raw", file="raw.yaml", opts=opts)
k8s.yaml.v2.ConfigGroup("group", yaml=open("group.yaml").read(), opts=opts)
k8s.helm.v4.Chart("chart", chart="./chart", namespace="probe", opts=opts)
"""


def write_program(d: Path) -> None:
    (d / "Pulumi.yaml").write_text(
        "name: pack-probe\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {ROOT / '.venv'}\n    toolchain: pip\n"
    )
    # The Python language host wants at least one config value on the stack.
    (d / "Pulumi.probe.yaml").write_text("config:\n  pack-probe:purpose: policy pack probe\n")
    (d / "__main__.py").write_text(PROGRAM)
    (d / "raw.yaml").write_text(RAW)
    (d / "group.yaml").write_text(GROUP_POD)
    (d / "chart" / "templates").mkdir(parents=True)
    (d / "chart" / "Chart.yaml").write_text(CHART_YAML)
    (d / "chart" / "templates" / "deployment.yaml").write_text(CHART_DEPLOYMENT)


def require_kubernetes_plugin(env: dict[str, str]) -> None:
    """tools/engine/bootstrap.sh installs the provider into PULUMI_HOME; as with every
    tool, missing in CI is a failure, elsewhere a skip."""
    plugins = Path(env["PULUMI_HOME"]) / "plugins"
    if not any(plugins.glob("resource-kubernetes-v*")):
        message = f"the Kubernetes provider plugin is not installed in {plugins}; `make setup` builds it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_raw_yaml_and_helm_v4_children_are_judged_as_their_kinds(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    env = engine_env(state)
    require_kubernetes_plugin(env)
    project = tmp_path / "program"
    project.mkdir()
    write_program(project)

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=ENGINE_TIMEOUT,
        )

    assert pulumi("stack", "init", "probe").returncode == 0
    plain = pulumi("preview")
    assert plain.returncode == 0, (plain.stdout + plain.stderr)[-4000:]
    result = pulumi("preview", "--policy-pack", str(ROOT / "policies"))
    out = textwrap.dedent(result.stdout + result.stderr)
    assert result.returncode != 0, out[-6000:]
    # The engine names each violation "<policy>  (<type>: <resource name>)" and the pack's
    # message names the object: each child is judged as its own kind.
    for policy, child, field in (
        (
            "pss-baseline-privileged",
            "kubernetes:apps/v1:DaemonSet: raw:probe/node-agent",
            "privileged is true",
        ),
        ("pss-baseline-host-namespaces", "kubernetes:apps/v1:DaemonSet: raw:probe/node-agent", "hostNetwork"),
        ("pss-baseline-capabilities", "kubernetes:apps/v1:Deployment: raw:probe/listed", "'SYS_ADMIN'"),
        ("pss-baseline-host-namespaces", "kubernetes:core/v1:Pod: group:probe/grouped", "spec.hostPID"),
        (
            "pss-baseline-privileged",
            "kubernetes:apps/v1:Deployment: chart:probe/chart-charted",
            "privileged is true",
        ),
    ):
        assert "[mandatory]" in out and f"{policy}  ({child})" in out, f"{policy} / {child}:\n{out[-6000:]}"
        kind, name = child.split(": ")[0].rsplit(":", 1)[-1], child.rsplit("/", 1)[-1]
        assert any(f"{kind} probe/{name}" in line and field in line for line in out.splitlines()), field
    # The quota policy judges the namespaces this program contains (none), not the estate's.
    assert "Namespace shiksha-setu" not in out and "'shiksha-setu'" not in out, out[-6000:]
