"""Reuse, proven: a second Pulumi program (tests/reuse/program/) builds a tiny estate of its
own from SecureDeployment, ZeroTrustNetwork, IngressWithHeaders and MonitoringStack (and
PlatformNamespace for its namespace) through their Args alone, and the real engine ups it
against the test control plane with the policy pack enforced. The program has no stack file
of this estate and must not load the config model's loader, nor a target, nor the plan."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.apiserver.controlplane import CONTEXT, ControlPlane
from tests.apiserver.kube import Kube
from tests.engine.conftest import Project, engine_env
from tests.support.program import ROOT

pytestmark = [pytest.mark.apiserver, pytest.mark.engine, pytest.mark.slow]

PROGRAM = Path(__file__).parent / "program"
# What a reuser must not pull in: the estate's stack-config loader, its plan, its targets.
ESTATE_ONLY = ("components.config.loader", "components.plan.estate", "components.targets")
# The pack refuses a container that may run as root (tests/engine/test_engine.py plants the same).
MANDATORY_POLICY = "pss-restricted-run-as-non-root"


def _project(workdir: Path, control_plane: ControlPlane) -> Project:
    project = workdir / "project"
    project.mkdir(parents=True)
    shutil.copy2(PROGRAM / "__main__.py", project / "__main__.py")
    spec = yaml.safe_load((PROGRAM / "Pulumi.yaml").read_text())
    spec["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(spec))
    # The package beside the program, as a project vendoring it would have it.
    (project / "components").symlink_to(ROOT / "components")
    state = workdir / "state"
    state.mkdir()
    env = {**engine_env(state), "KUBECONFIG": str(control_plane.kubeconfig)}
    return Project(project, env)


def _stack(project: Project, stack: str, namespace: str, **extra: str) -> None:
    project.pulumi("stack", "init", stack, "--secrets-provider", "passphrase")
    for key, value in {"namespace": namespace, "context": CONTEXT, "skipAwait": "true", **extra}.items():
        project.pulumi("config", "set", key, value, "--stack", stack)
    project.pulumi("config", "set", "--secret", "apiToken", "reuse-test-token-0123456789", "--stack", stack)


def _obj(api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def _objects(namespace: str, policies: list[str]) -> list[dict[str, Any]]:
    ns = namespace
    return [
        _obj("v1", "Namespace", ns),
        _obj("v1", "ResourceQuota", "platform-quota", ns),
        _obj("v1", "LimitRange", "platform-limits", ns),
        *[_obj("apps/v1", "Deployment", w, ns) for w in ("web", "api", "prometheus", "alertmanager")],
        *[_obj("v1", "Service", w, ns) for w in ("web", "api", "prometheus", "alertmanager")],
        _obj("policy/v1", "PodDisruptionBudget", "web", ns),
        _obj("v1", "Secret", "api-env", ns),
        _obj("v1", "ConfigMap", "prometheus-rules", ns),
        _obj("rbac.authorization.k8s.io/v1", "Role", "prometheus", ns),
        _obj("networking.k8s.io/v1", "Ingress", "reuse-demo", ns),
        _obj("v1", "ConfigMap", "edge-security-headers", ns),
        *[_obj("networking.k8s.io/v1", "NetworkPolicy", p, ns) for p in policies],
    ]


@pytest.mark.timeout(1200)
def test_a_second_program_ups_its_own_estate_from_the_components_args(
    control_plane: ControlPlane, kube: Kube, tmp_path: Path
) -> None:
    project = _project(tmp_path, control_plane)
    _stack(project, "reuse", "reuse-demo")
    # No stack file of this estate: the project's only stack file is its own.
    assert sorted(p.name for p in project.dir.glob("Pulumi.*.yaml")) == ["Pulumi.reuse.yaml"]

    up = project.pulumi(
        "up", "--yes", "--skip-preview", "--policy-pack", str(ROOT / "policies"), "--stack", "reuse"
    )
    assert "shiksha-setu-policies" in up.output, up.output[-3000:]
    outputs = project.pulumi("stack", "output", "--json", "--show-secrets", "--stack", "reuse").json()

    pulled = [m for m in outputs["modules"] if m.startswith(ESTATE_ONLY)]
    assert pulled == [], f"the second program imported the estate's own modules: {pulled}"
    assert {"components.secure_deployment", "components.monitoring_stack"} <= set(outputs["modules"])

    # Default deny, DNS for all, then one policy per workload, from the intent the program wrote.
    workloads = ("web", "api", "prometheus", "alertmanager")
    assert sorted(outputs["policies"]) == sorted(
        ["default-deny-all", "allow-dns-egress", *(f"{w}-netpol" for w in workloads)]
    )
    missing = []
    for obj in _objects("reuse-demo", outputs["policies"]):
        response = kube.get(obj)
        if response.status != 200:
            missing.append(
                f"{obj['kind']} {obj['metadata']['name']}: GET {kube.path(obj)} -> {response.status}"
            )
    assert not missing, "pulumi up succeeded but the API server lacks:\n" + "\n".join(missing)

    # The Args reached the objects: the hardened defaults and the program's own labels.
    web = kube.get(_obj("apps/v1", "Deployment", "web", "reuse-demo")).body
    assert web["metadata"]["labels"]["app.kubernetes.io/part-of"] == "reuse-demo"
    [container] = web["spec"]["template"]["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    ingress = kube.get(_obj("networking.k8s.io/v1", "Ingress", "reuse-demo", "reuse-demo")).body
    assert ingress["spec"]["rules"][0]["host"] == "reuse.example.test"
    # The secret stays a secret: Kubernetes holds it, the stack outputs never do.
    assert "reuse-test-token-0123456789" not in str(outputs)

    project.pulumi("destroy", "--yes", "--skip-preview", "--stack", "reuse")


@pytest.mark.timeout(1200)
def test_the_policy_pack_refuses_a_planted_violation_in_the_second_program(
    control_plane: ControlPlane, kube: Kube, tmp_path: Path
) -> None:
    project = _project(tmp_path, control_plane)
    _stack(project, "planted", "reuse-planted", plant="run-as-root")
    result = project.pulumi(
        "up",
        "--yes",
        "--skip-preview",
        "--policy-pack",
        str(ROOT / "policies"),
        "--stack",
        "planted",
        check=False,
    )
    assert result.returncode != 0, (
        f"pulumi up accepted a container that may run as root:\n{result.output[-3000:]}"
    )
    assert MANDATORY_POLICY in result.output and "mandatory" in result.output.lower(), result.output[-3000:]
    web = kube.get(_obj("apps/v1", "Deployment", "web", "reuse-planted"))
    assert web.status == 404, f"the refused Deployment reached the API server: GET -> {web.status}"
