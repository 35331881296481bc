"""`pulumi preview` / `up` / `destroy` of the local stack with the real engine, the real
Kubernetes provider (render-to-directory) and the real policy pack.

What the engine registers is compared with what the same program registers under
Pulumi's mocks (tests/support/program.py), which shares no code with the engine."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components.secure_deployment import SECRET_KEYS
from tests.support.program import TEST_SECRETS, run_program

from .conftest import ROOT, Project, steps_by_op, type_and_name, warnings

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.xdist_group("engine")]

# The secrets Pulumi.local.yaml carries; the mocked run gets stand-ins for the same keys.
LOCAL_SECRET_KEYS = (
    "postgresAdminPassword",
    "postgresPassword",
    "postgresExporterPassword",
    "redisPassword",
    "redisMonitorPassword",
    "pagerdutyRoutingKey",
)
KUBERNETES_VERSION = "1.34.0"
MANDATORY_POLICY = "pss-restricted-run-as-non-root"
# CRD schemas of the edge's custom resources (Gateway API, Envoy Gateway), see its README.
CRD_DATA = ROOT / "tests" / "ingress" / "data"


def _engine_only(type_: str, name: str) -> bool:
    """Resources the engine adds on its own: the stack and the default providers."""
    return type_ == "pulumi:pulumi:Stack" or (
        type_.startswith("pulumi:providers:") and name.startswith("default")
    )


@pytest.fixture(scope="module")
def mocked_local() -> Counter[tuple[str, str]]:
    snapshot = run_program("local", secrets={k: TEST_SECRETS[k] for k in LOCAL_SECRET_KEYS})
    return Counter((r.type, r.name) for r in snapshot.resources)


@pytest.fixture(scope="module")
def mocked_manifest_count() -> int:
    snapshot = run_program("local", secrets={k: TEST_SECRETS[k] for k in LOCAL_SECRET_KEYS})
    return len(snapshot.kubernetes_objects())


def _created(preview: dict[str, Any]) -> Counter[tuple[str, str]]:
    ops = steps_by_op(preview)
    assert set(ops) <= {"create"}, f"a first preview only creates, got {sorted(ops)}"
    pairs = (type_and_name(urn) for urn in ops.get("create", []))
    return Counter(pair for pair in pairs if not _engine_only(*pair))


def test_preview_of_local_registers_the_whole_estate(
    make_project: Callable[..., Project], mocked_local: Counter[tuple[str, str]]
) -> None:
    project = make_project()
    project.select("local")
    preview = project.pulumi("preview", "--json", "--policy-pack", "policies").json()

    created = _created(preview)
    assert sum(mocked_local.values()) > 30
    assert created == mocked_local
    # The engine's own summary counts the same steps (plus the stack and default providers).
    assert preview["changeSummary"]["create"] == len(steps_by_op(preview)["create"])


def test_make_preview_script_logs_in_creates_the_stack_and_enforces_the_pack(
    make_project: Callable[..., Project],
) -> None:
    project = make_project()
    result = project.stack_script("local", "preview")

    assert result.returncode == 0, result.output[-6000:]
    assert "shiksha-setu-policies" in result.output
    assert "done: pulumi preview --policy-pack policies (local)" in result.output
    state = project.env["PULUMI_BACKEND_URL"].removeprefix("file://")
    stacks = list((project.dir.parent / state).glob(".pulumi/stacks/shiksha-setu/local.json*"))
    assert stacks, "stack.sh did not create the local stack in the test's own backend"


def _opt_out_api(config: dict[str, Any]) -> None:
    workloads = config.setdefault("shiksha-setu:workloads", {})
    workloads["api"] = {
        "security": {"runAsNonRoot": False, "optOutReason": "engine test: the pack must still block this"}
    }


def test_policy_pack_blocks_a_workload_opted_out_of_its_security_context(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(_opt_out_api)
    project.select("local")

    # The program accepts the opt-out (it carries a reason) ...
    project.pulumi("preview")
    # ... and the policy pack refuses it as a mandatory violation.
    result = project.pulumi("preview", "--policy-pack", "policies", check=False)
    assert result.returncode != 0
    assert MANDATORY_POLICY in result.output
    assert "mandatory" in result.output.lower()


def _crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of the edge CRDs the repository ships as test data."""
    schemas = {}
    for path in CRD_DATA.glob("*.yaml"):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def _validation_failures(manifests: list[dict[str, Any]]) -> list[str]:
    crds = _crd_schemas()
    failures: list[str] = []
    for manifest in manifests:
        name = f"{manifest.get('kind')}/{manifest['metadata'].get('name')}"
        crd_schema = crds.get((manifest["apiVersion"], manifest["kind"]))
        if crd_schema is not None:
            errors = list(jsonschema.Draft7Validator(crd_schema).iter_errors(manifest))
            failures.extend(f"{name}: {error.message} at {list(error.path)}" for error in errors)
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{name}: {error.message} at {list(error.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            failures.append(
                f"{name}: no schema for {manifest['apiVersion']} (neither built in nor a known CRD)"
            )
    return failures


def _manifests(project: Project) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in project.rendered():
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def test_up_renders_valid_manifests_is_idempotent_and_destroy_empties_the_stack(
    make_project: Callable[..., Project], mocked_manifest_count: int
) -> None:
    project = make_project()
    up = project.stack_script("local", "up")
    assert up.returncode == 0, up.output[-6000:]

    manifests = _manifests(project)
    assert len(manifests) == mocked_manifest_count
    assert _validation_failures(manifests) == []
    # The stack's secrets are not in what the provider wrote, in plain text or in the
    # base64 the provider encodes Secrets with: the rendered Secrets name their keys and
    # hold no data at all (so the provider has no secret to warn about, either).
    rendered_text = "".join(p.read_text() for p in project.rendered())
    secrets = [manifest for manifest in manifests if manifest["kind"] == "Secret"]
    assert len(secrets) >= 4
    for manifest in secrets:
        assert "data" not in manifest and "stringData" not in manifest, manifest["metadata"]["name"]
        assert manifest["metadata"]["annotations"][SECRET_KEYS]
    for key in LOCAL_SECRET_KEYS:
        value = project.pulumi("config", "get", f"shiksha-setu:{key}").stdout.strip()
        assert len(value) >= 16
        assert value not in rendered_text, f"{key} is in plain text in rendered/local"
        encoded = base64.b64encode(value.encode()).decode()
        assert encoded not in rendered_text, f"{key} is base64 in rendered/local"
    # A first `make up` on the local stack says nothing the user cannot act on.
    assert warnings(up.output) == []

    again = project.pulumi("up", "--yes", "--expect-no-changes", "--policy-pack", "policies", check=False)
    assert again.returncode == 0, again.output[-6000:]

    destroy = project.stack_script("local", "destroy")
    assert destroy.returncode == 0, destroy.output[-6000:]
    deployment = project.pulumi("stack", "export").json()["deployment"]
    assert not deployment.get("resources")
    assert project.rendered() == []


def test_bad_stack_config_fails_preview_before_any_resource_is_registered(
    make_project: Callable[..., Project],
) -> None:
    def zero_replicas(config: dict[str, Any]) -> None:
        config.setdefault("shiksha-setu:workloads", {})["api"] = {"replicas": 0}

    project = make_project(zero_replicas)
    project.select("local")
    result = project.pulumi("preview", "--json", "--policy-pack", "policies", check=False)

    assert result.returncode != 0
    assert "shiksha-setu:workloads.api.replicas" in result.output
    assert "got 0" in result.output
    registered = [type_and_name(urn) for urns in steps_by_op(result.json()).values() for urn in urns]
    assert [pair for pair in registered if not _engine_only(*pair)] == []


def test_the_manifest_validation_catches_mistakes() -> None:
    # Guards the up test against validating nothing: a typo in a built-in kind, a wrong
    # type in a custom resource and an unknown group must each be reported.
    typo = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "typo"},
        "dta": {"a": "b"},
    }
    wrong_type = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "wrong-type"},
        "spec": {"hostnames": "not-a-list"},
    }
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "unknown"}}
    failures = _validation_failures([typo, wrong_type, unknown])
    assert [f.split(":")[0] for f in failures] == ["ConfigMap/typo", "HTTPRoute/wrong-type", "Widget/unknown"]
