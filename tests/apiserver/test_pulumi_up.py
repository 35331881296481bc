"""The real engine against the real control plane: `pulumi up` of the whole Kubernetes
estate, a second `pulumi up` that changes nothing, and `pulumi destroy` that leaves
nothing behind. The stack lives in a throwaway project directory and state backend, and
deploys into its own namespace so it never meets the objects the other tests applied."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.program import PROJECT, ROOT, TEST_SECRETS, run_program, stack_config

from .controlplane import CONTEXT, ControlPlane
from .estate import crds_for, ident, manifests, wait_for_crds
from .figures import say
from .kube import Kube

pytestmark = [
    pytest.mark.apiserver,
    pytest.mark.engine,
    pytest.mark.slow,
]

ENGINE = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec")
STACK = "apiserver"
NAMESPACE = "shiksha-setu-engine"


def _config(namespace: str) -> dict[str, Any]:
    """The prod stack's config, pointed at the test control plane. skipAwait because no
    kubelet will ever make a Pod ready."""
    config = {k if ":" in k else f"{PROJECT}:{k}": v for k, v in stack_config("prod").items()}
    kubernetes = dict(config.get(f"{PROJECT}:kubernetes") or {})
    kubernetes.update(context=CONTEXT, skipAwait=True)
    config[f"{PROJECT}:kubernetes"] = kubernetes
    config[f"{PROJECT}:namespace"] = {**(config.get(f"{PROJECT}:namespace") or {}), "name": namespace}
    return config


class Pulumi:
    def __init__(self, workdir: Path, control_plane: ControlPlane):
        self.project = workdir / "project"
        self.project.mkdir()
        spec = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
        # The project's virtualenv, wherever this copy of the project sits.
        spec["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        (self.project / "Pulumi.yaml").write_text(yaml.safe_dump(spec))
        for entry in ("__main__.py", "components"):
            (self.project / entry).symlink_to(ROOT / entry)
        state = workdir / "state"
        state.mkdir()
        cache = Path(os.environ.get("SHIKSHA_CACHE", Path.home() / ".cache" / "shiksha-setu"))
        self.env = {
            **os.environ,
            "PULUMI_HOME": os.environ.get("PULUMI_HOME", str(cache / "pulumi-home")),
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "apiserver-test-only",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The provider reads the fixture's kubeconfig; `context` in the config picks it.
            "KUBECONFIG": str(control_plane.kubeconfig),
        }
        self.log = workdir / "pulumi.log"

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.project, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        with self.log.open("a") as log:
            log.write(f"$ pulumi {' '.join(args)}\n{result.stdout}\n{result.stderr}\n")
        if check:
            assert result.returncode == 0, (
                f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def init_stack(self, config: dict[str, Any], secrets: dict[str, str]) -> None:
        self.run("login", self.env["PULUMI_BACKEND_URL"])
        self.run("stack", "init", STACK, "--secrets-provider", "passphrase")
        # stack init wrote the encryption salt; plain config goes in beside it.
        path = self.project / f"Pulumi.{STACK}.yaml"
        data = yaml.safe_load(path.read_text()) or {}
        data["config"] = config
        path.write_text(yaml.safe_dump(data))
        for key, value in secrets.items():
            self.run("config", "set", "--secret", key, value, "--stack", STACK)


@pytest.fixture(scope="module")
def pulumi(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Pulumi:
    missing = [tool for tool in ENGINE if shutil.which(tool) is None]
    if missing:
        msg = f"the Pulumi engine is not on PATH ({', '.join(missing)}): build it with `make engine`"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return Pulumi(tmp_path_factory.mktemp("pulumi"), control_plane)


def _wait_gone(kube: Kube, obj: dict[str, Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kube.get(obj).status == 404:
            return True
        time.sleep(0.5)
    return False


@pytest.mark.timeout(1800)
def test_pulumi_up_twice_then_destroy(pulumi: Pulumi, kube: Kube, pytestconfig: pytest.Config) -> None:
    config = _config(NAMESPACE)
    expected = manifests(run_program("prod", overrides=config))
    assert any(o["kind"] == "Namespace" and o["metadata"]["name"] == NAMESPACE for o in expected)
    # CRDs a cluster gets from its operators (Gateway API, Envoy Gateway), not from us.
    crds = crds_for(expected)
    for crd in crds:
        assert kube.apply(crd).status < 300, ident(crd)
    wait_for_crds(kube, crds)
    pulumi.init_stack(config, TEST_SECRETS)

    t0 = time.monotonic()
    pulumi.run("up", "--yes", "--skip-preview", "--stack", STACK)
    up_seconds = time.monotonic() - t0
    missing = [ident(o) for o in expected if kube.get(o).status != 200]
    assert not missing, f"pulumi up reported success but these objects are not in the cluster: {missing}"
    # The provider applied what the program registered: each object carries the
    # program's labels (the server may add its own, such as kubernetes.io/metadata.name).
    for obj in expected:
        live = kube.get(obj).body["metadata"].get("labels", {})
        wanted = obj["metadata"].get("labels", {})
        assert wanted.items() <= live.items(), f"{ident(obj)}: {wanted} not in {live}"

    t1 = time.monotonic()
    second = pulumi.run("up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", STACK, check=False)
    again_seconds = time.monotonic() - t1
    assert second.returncode == 0, (
        f"the second pulumi up changed something:\n{second.stdout}\n{second.stderr}"
    )

    t2 = time.monotonic()
    pulumi.run("destroy", "--yes", "--skip-preview", "--stack", STACK)
    destroy_seconds = time.monotonic() - t2
    namespace = next(o for o in expected if o["kind"] == "Namespace")
    assert _wait_gone(kube, namespace, 120), f"namespace {NAMESPACE} still exists after pulumi destroy"
    left = [ident(o) for o in expected if kube.get(o).status != 404]
    assert not left, f"objects left after pulumi destroy: {left}"
    exported = pulumi.run("stack", "export", "--stack", STACK).stdout
    resources = yaml.safe_load(exported)["deployment"].get("resources") or []
    assert not resources, f"the stack still holds {len(resources)} resources after destroy"

    say(
        pytestconfig,
        f"pulumi against the control plane: up {up_seconds:.1f} s, second up {again_seconds:.1f} s, "
        f"destroy {destroy_seconds:.1f} s ({len(expected)} Kubernetes objects); log {pulumi.log}",
    )
