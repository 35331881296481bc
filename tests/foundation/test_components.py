"""Components follow Pulumi's conventions: type tokens, parenting, outputs, aliases."""

from __future__ import annotations

from tests.support.program import Snapshot, run_program


def test_component_type_tokens(prod: Snapshot) -> None:
    components = {r.type for r in prod.resources if not r.custom}
    assert "shiksha:index:SecureDeployment" in components
    assert "shiksha:index:PlatformNamespace" in components
    assert all(t.startswith("shiksha:index:") for t in components)


def test_every_kubernetes_object_is_parented_to_a_component(estate: Snapshot) -> None:
    for resource in estate.kubernetes_objects():
        assert resource.parent_types, resource.urn
        assert resource.parent_types[-1].startswith("shiksha:index:"), resource.urn


def test_kubernetes_names_are_explicit_and_the_workloads_own(prod: Snapshot) -> None:
    # Pulumi auto-names (a random suffix, new on every replacement) only an object whose
    # metadata.name is absent: every object the estate registers states its name.
    unnamed = [r.urn for r in prod.kubernetes_objects() if not r.inputs.get("metadata", {}).get("name")]
    assert unnamed == []
    # Each workload's Deployment or StatefulSet is named exactly after the workload.
    workloads = [r.name for r in prod.resources if r.type == "shiksha:index:SecureDeployment"]
    assert {"api", "worker", "frontend", "postgres", "redis", "prometheus"} <= set(workloads)
    named = {
        (r.kind, r.inputs["metadata"]["name"])
        for r in prod.kubernetes_objects()
        if r.kind in ("Deployment", "StatefulSet")
    }
    missing = [n for n in workloads if ("Deployment", n) not in named and ("StatefulSet", n) not in named]
    assert missing == [], f"workloads whose Deployment/StatefulSet is not named after them: {missing}"
    assert prod.one("Service", "api").inputs["spec"]["selector"]["app.kubernetes.io/name"] == "api"


def test_renaming_a_workload_in_code_carries_an_alias() -> None:
    snapshot = run_program("prod", overrides={"shiksha-setu:workloads": {"api": {"aliases": ["backend"]}}})
    component = next(
        r for r in snapshot.resources if r.type == "shiksha:index:SecureDeployment" and r.name == "api"
    )
    assert any('name: "backend"' in alias for alias in component.aliases)


def test_local_stack_renders_to_a_directory(local: Snapshot, prod: Snapshot) -> None:
    provider = local.of_type("pulumi:providers:kubernetes")[0].inputs
    assert provider["renderYamlToDirectory"] == "rendered/local"
    assert "renderYamlToDirectory" not in prod.of_type("pulumi:providers:kubernetes")[0].inputs
