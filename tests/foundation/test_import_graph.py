"""The import graph of components/ (docs/architecture.md): no cycle, and no component
importing a peer component. Read from the source with ast, every import counted, the ones
inside functions too (a lazy import hides a cycle from Python, not from a reader)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support.program import ROOT

COMPONENTS = ROOT / "components"
# The peers: each is one concern of a target; a target composes them, they never import
# each other (anything two of them share lives in the plan or a building block).
PEERS = {
    "components.docker_host",
    "components.ingress_with_headers",
    "components.logging_stack",
    "components.monitoring_stack",
    "components.platform_namespace",
    "components.zero_trust_network",
}
# Bricks the peers are built from: they import no peer and no target.
BUILDING_BLOCKS = {
    "components.program.collector",
    "components.resources.images",
    "components.resources.secret_objects",
    "components.secret_text",
    "components.secure_deployment",
    "components.wiring",
}
# Layers below the components, by package: what each may import from components/.
PURE_LAYERS = {
    # The datastores' settings are fields of the config model (components/datastores/ is
    # the one place that knows them), and each datastore's module reads the model's parts.
    "components.config": ("components.config", "components.datastores"),
    "components.datastores": ("components.config", "components.datastores", "components.secret_text"),
    # The kube builders render what they hold (log collector config, secret templates) and
    # turn the plan's network intent into NetworkPolicies.
    "components.kube": (
        "components.config",
        "components.kube",
        "components.render",
        "components.plan",
        "components.secret_text",
    ),
    "components.render": (
        "components.config",
        "components.datastores",
        "components.render",
        "components.kube",
        "components.plan",
    ),
    "components.plan": (
        "components.config",
        "components.datastores",
        "components.render",
        "components.plan",
        "components.secret_text",
        "components.wiring",
    ),
    "components.docker": (
        "components.config",
        "components.datastores",
        "components.kube",
        "components.render",
        "components.plan",
        "components.docker",
        "components.secret_text",
    ),
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> Iterator[str]:
    package = _module(path) if path.name == "__init__.py" else _module(path).rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    # Imports under `if TYPE_CHECKING:` never run: they name a type for the checker (the
    # datastore registry reads EstateConfig, whose fields the registry's settings give).
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from components import monitoring_stack` imports a module, not a name.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        else:
            continue
        for name in names:
            # The module itself, or the nearest package of it that is in components/.
            found = name
            while found and found not in modules:
                found = found.rpartition(".")[0]
            if found.startswith("components"):
                yield found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(COMPONENTS.rglob("*.py"))
    modules = {_module(p) for p in paths}
    graph = {_module(p): set(_imports(p, modules)) - {_module(p)} for p in paths}
    # A package's __init__ is not an edge of its modules' imports of siblings.
    return {
        m: {t for t in targets if not (m.startswith(t + ".") and t != "components")}
        for m, targets in graph.items()
    }


def _edges(graph: dict[str, set[str]]) -> Iterator[tuple[str, str]]:
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target != "components":
                yield source, target


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (as a path that returns to its start), or []."""
    edges: dict[str, list[str]] = {}
    for source, target in _edges(graph):
        edges.setdefault(source, []).append(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "components.kube.network_policies" in graph["components.zero_trust_network"]
    assert set(graph) >= PEERS | BUILDING_BLOCKS
    assert {"components.targets.kubernetes", "components.targets.docker_host"} <= set(graph)


def test_no_import_cycle_in_components() -> None:
    assert _cycle(import_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_component_imports_a_peer_or_a_target() -> None:
    wrong = [
        (source, target)
        for source, target in _edges(import_graph())
        if not source.startswith("components.targets.")
        and (target in PEERS or target.startswith("components.targets"))
    ]
    assert wrong == []


def test_targets_are_peers_of_each_other() -> None:
    wrong = [
        (s, t)
        for s, t in _edges(import_graph())
        if s.startswith("components.targets.") and t.startswith("components.targets.")
    ]
    assert wrong == []


# The gate checks references against the monitoring workloads as the plan resolves them
# (one definition of them, not a copy in the config model); a lazy import, no cycle.
LAYER_EXCEPTIONS = {("components.config.references", "components.plan.monitoring")}


def test_the_pure_layers_import_only_what_is_below_them() -> None:
    wrong = []
    for source, target in _edges(import_graph()):
        if (source, target) in LAYER_EXCEPTIONS:
            continue
        for layer, allowed in PURE_LAYERS.items():
            if (source == layer or source.startswith(layer + ".")) and not any(
                target == a or target.startswith(a + ".") for a in allowed
            ):
                wrong.append((source, target))
    assert wrong == []


def test_the_policy_pack_imports_nothing_from_components() -> None:
    wrong = []
    for path in sorted((ROOT / "policies").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            wrong += [(path.name, n) for n in names if n.split(".")[0] == "components"]
    assert wrong == []
