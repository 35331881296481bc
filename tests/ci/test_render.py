"""tools.render: every Kubernetes object of a stack, one readable file each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.program import Snapshot
from tools import render

pytestmark = pytest.mark.xdist_group("render")  # run_program holds process-wide Pulumi mocks

NAME = re.compile(r"^(?P<n>\d{2,})-(?P<kind>[a-z0-9]+)-(?P<name>[a-z0-9.-]+)\.yaml$")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("rendered")
    return {stack: render.render(stack, out / stack) for stack in ("prod", "local")}


def _load(path: Path) -> dict[str, Any]:
    docs = list(yaml.safe_load_all(path.read_text()))
    assert len(docs) == 1, f"{path.name}: one object per file"
    return dict(docs[0])


@pytest.mark.parametrize("stack", ["prod", "local"])
def test_every_object_is_rendered_once_and_named_after_it(
    stack: str, rendered: dict[str, list[Path]], request: pytest.FixtureRequest
) -> None:
    # The session's snapshots (tests/conftest.py): the same program run the other tests judge.
    snapshot: Snapshot = request.getfixturevalue(stack)
    expected = snapshot.kubernetes_objects()
    files = rendered[stack]
    assert len(files) == len(expected) > 0
    assert sorted(p.name for p in files[0].parent.iterdir()) == sorted(p.name for p in files)
    seen = set()
    for number, path in enumerate(files, start=1):
        m = NAME.match(path.name)
        assert m, path.name
        assert int(m["n"]) == number
        obj = _load(path)
        assert obj["kind"].lower() == m["kind"] and obj["apiVersion"]
        meta = obj["metadata"]
        assert m["name"] == meta["name"]
        seen.add((obj["kind"], meta.get("namespace"), meta["name"]))
    assert seen == {
        (r.kind, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"]) for r in expected
    }


def test_dependencies_come_first(rendered: dict[str, list[Path]]) -> None:
    kinds = [_load(p)["kind"] for p in rendered["prod"]]
    assert kinds[0] == "Namespace"
    assert max(i for i, k in enumerate(kinds) if k == "Secret") < min(
        i for i, k in enumerate(kinds) if k in ("Deployment", "StatefulSet")
    )


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_integers_stay_integers(rendered: dict[str, list[Path]]) -> None:
    # The mocks carry numbers as doubles; `runAsUser: 1000.0` is invalid for the API server.
    numbers = [n for p in rendered["prod"] for n in _numbers(_load(p))]
    assert numbers and not [n for n in numbers if isinstance(n, float) and n.is_integer()]


def test_a_second_render_removes_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "prod-mock"
    out.mkdir()
    (out / "99-deployment-removed.yaml").write_text("kind: Deployment\n")
    written = render.render("prod", out)
    assert sorted(out.iterdir()) == sorted(written)


def test_an_unknown_stack_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert render.main(["staging"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.staging.yaml not found" in err and "prod" in err and "local" in err


def test_file_names_are_safe() -> None:
    manifest = {"kind": "ConfigMap", "metadata": {"namespace": "ns", "name": "Odd_Name/x"}}
    assert render.file_name(7, 3, manifest) == "007-configmap-odd-name-x.yaml"


def test_a_docker_host_stack_renders_its_docker_resources(tmp_path: Path) -> None:
    """What scripts/stack.sh offers when the Docker provider plugin is missing."""
    written = render.render("prod", tmp_path, overrides={"shiksha-setu:target": "docker-host"})
    documents = {path.name: _load(path) for path in written}
    kinds = [doc["kind"] for doc in documents.values()]
    assert kinds.index("Network") < kinds.index("Container") and "Deployment" not in kinds
    api = next(
        doc for doc in documents.values() if doc["kind"] == "Container" and doc["metadata"]["name"] == "api"
    )
    assert api["type"] == "docker:index/container:Container"
    assert api["inputs"]["healthcheck"]["tests"][1] == "curl"
    assert all(NAME.match(name) for name in documents)
