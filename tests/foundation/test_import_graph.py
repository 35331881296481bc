"""The import graph of components/ (docs/architecture.md), as Python runs it: no cycle, no
component importing a peer component, each layer importing only what is below it.

Read from the source with ast. Every import statement that can run is an edge, the ones
inside functions too (a lazy import hides a cycle from Python, not from a reader); only
those under `if TYPE_CHECKING:` never run. Importing `a.b.c` runs `a/__init__.py` and
`a/b/__init__.py` before `a/b/c.py`, and `from pkg import name` runs `pkg/__init__.py`
(and `pkg/name.py` when that is a module): both are edges. A module's own packages are
not edges of it (Python has started them before the module runs).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
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
    "components.secure_deployment",
}
# The layers below the components (docs/architecture.md, "Import rules"), lowest first. A
# module is in the first layer one of whose patterns it matches (fnmatch, a pattern also
# covering the modules under it); a package __init__ that imports nothing is in none.
LAYERS: dict[str, tuple[str, ...]] = {
    # Value kinds: the model's base and kinds, its error type, the secret recipes.
    "values": (
        "components.values",
        "components.config.base",
        "components.config.types",
        "components.config.errors",
        "components.render.quoting",
    ),
    # What the model knows of each datastore: its settings, roles, secret keys, exporter.
    "datastore settings": (
        "components.datastores.facts",
        "components.datastores.settings",
        "components.datastores.*.settings",
    ),
    # The gate: reads the stack, checks references (the datastores' and the plan's too).
    "gate": (
        "components.config.loader",
        "components.config.defaults",
        "components.config.references",
        "components.config.secrets",
    ),
    "config": ("components.config",),
    "datastores": ("components.datastores",),
    "kube": ("components.kube",),
    "render": ("components.render",),
    "plan": ("components.plan",),
    "docker": ("components.docker",),
    "views": ("components.views",),
}
# The layers, lowest first: each imports only itself and the layers before it, so the
# layers themselves, not only the modules, form no cycle. The kube builders stand above the
# plan and the text renderers: they render what they hold (the log collector's config) and
# turn the plan's network intent into NetworkPolicies; the gate checks against the plan.
ORDER = [
    "values",
    "datastore settings",
    "config",
    "datastores",
    "render",
    "plan",
    "kube",
    "gate",
    "docker",
    "views",
]
assert sorted(ORDER) == sorted(LAYERS)
# What each layer may import besides itself.
MAY_IMPORT: dict[str, set[str]] = {layer: set(ORDER[: ORDER.index(layer)]) for layer in ORDER}


def layer_of(module: str, graph: Graph) -> str | None:
    if not graph.edges.get(module) and (ROOT / module.replace(".", "/") / "__init__.py").is_file():
        return None
    for layer, patterns in LAYERS.items():
        if any(fnmatch(module, p) or fnmatch(module, p + ".*") for p in patterns):
            return layer
    return None


@dataclass
class Graph:
    """Module -> the modules of the package that importing it runs directly (`edges`), and
    the top-level names of the other packages it imports (`external`: `pulumi`, ...)."""

    edges: dict[str, set[str]] = field(default_factory=dict)
    external: dict[str, set[str]] = field(default_factory=dict)

    def runs(self, module: str) -> set[str]:
        """Every module of the package that `import module` runs, in a fresh interpreter:
        its packages' __init__s, itself, and what each of those runs, transitively."""
        seen: set[str] = set()
        todo = [*_ancestors(module, self.edges), module]
        while todo:
            node = todo.pop()
            if node in seen or node not in self.edges:
                continue
            seen.add(node)
            todo += [*self.edges[node], *_ancestors(node, self.edges)]
        return seen

    def external_runs(self, module: str) -> set[str]:
        return {name for node in self.runs(module) for name in self.external[node]}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ancestors(module: str, modules: Iterable[str]) -> list[str]:
    parts = module.split(".")
    return [name for i in range(1, len(parts)) if (name := ".".join(parts[:i])) in modules]


def _type_only(tree: ast.AST) -> set[int]:
    """The nodes under `if TYPE_CHECKING:` (not its `else:`): they never run."""
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }


def _imported(node: ast.Import | ast.ImportFrom, package: str, modules: set[str]) -> Iterator[str]:
    """The names one statement imports: modules (`a.b.c`), or for `from x import y` the
    module `x.y` when it is one and `x` otherwise."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base


def read_graph(root: Path, package: str) -> Graph:
    """The import graph of the package `package` under `root`, as Python runs it."""
    paths = {_module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    modules = set(paths)
    graph = Graph()
    for module, path in paths.items():
        own = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        skip = _type_only(tree)
        edges: set[str] = set()
        external: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(node, own, modules):
                if name.split(".")[0] != package:
                    if not (isinstance(node, ast.ImportFrom) and node.level):
                        external.add(name.split(".")[0])
                    continue
                # The module itself (or the nearest package of a name that is no module),
                # and every package above it: all of them run.
                found = name
                while found and found not in modules:
                    found = found.rpartition(".")[0]
                edges |= {*_ancestors(found, modules), found} if found else set()
        # A module's own packages started before it ran: importing them is no new edge.
        graph.edges[module] = {t for t in edges if t != module and not module.startswith(t + ".")}
        graph.external[module] = external
    return graph


def import_graph() -> Graph:
    return read_graph(ROOT, "components")


def _edges(graph: Graph) -> Iterator[tuple[str, str]]:
    for source, targets in sorted(graph.edges.items()):
        for target in sorted(targets):
            yield source, target


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected sets of more than one module, or of one that imports itself
    (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_in(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest import cycle through the first module of a strongly connected set, as a
    path that returns to its start."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if nxt in members and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return []


def cycles_report(edges: dict[str, set[str]]) -> list[str]:
    return [
        f"{len(component)} modules import each other: {', '.join(component)}\n"
        f"  one cycle: {' -> '.join(cycle_in(component, edges))}"
        for component in strongly_connected(edges)
    ]


# --- the reader and the cycle finder, on small packages written here ---------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def test_the_reader_counts_what_python_runs(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "p/__init__.py": "",
            "p/a/__init__.py": "from p.b import c\n",
            "p/a/x.py": "from . import y\nfrom .y import Y\n",
            "p/a/y.py": "Y = 1\n",
            "p/b/__init__.py": "",
            "p/b/c.py": "def f():\n    import p.d.e\n",
            "p/d/__init__.py": "import pulumi\n",
            "p/d/e.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from p.a import x\nelse:\n    import json\n"
                "from p.b import c\n"
            ),
            "p/f.py": "import p.a.x as x\n",
        },
    )
    graph = read_graph(tmp_path, "p")
    # A function-level import runs each package on its way: p.d's __init__ too.
    assert graph.edges["p.b.c"] == {"p.d", "p.d.e"}
    # A package's __init__ importing a submodule of another runs that package's __init__.
    assert graph.edges["p.a"] == {"p.b", "p.b.c"}
    # Siblings through `from . import` are edges; the module's own package is not one.
    assert graph.edges["p.a.x"] == {"p.a.y"}
    # `if TYPE_CHECKING:` is no edge, its `else:` runs.
    assert graph.edges["p.d.e"] == {"p.b", "p.b.c"}
    assert graph.external["p.d.e"] == {"typing", "json"}
    assert graph.edges["p.f"] == {"p.a", "p.a.x"}
    # Importing p.a.x runs p.a's __init__, which runs p.b.c, whose function imports p.d.
    assert graph.runs("p.a.x") == {"p", "p.a", "p.a.x", "p.a.y", "p.b", "p.b.c", "p.d", "p.d.e"}
    assert graph.external_runs("p.a.y") == {"pulumi", "typing", "json"}
    # p.a -> p.b.c -> p.d.e -> p.b.c: the cycle runs through a package __init__ and a function.
    assert strongly_connected(graph.edges) == [["p.b.c", "p.d.e"]]


def test_the_cycle_finder_names_the_modules_and_a_path() -> None:
    edges = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert strongly_connected(edges) == [["a", "b", "c"], ["d"]]
    assert cycle_in(["a", "b", "c"], edges) == ["a", "b", "c", "a"]
    assert cycle_in(["d"], edges) == ["d", "d"]
    assert cycles_report({"a": {"b"}, "b": set()}) == []


# --- the estate ----------------------------------------------------------------------------


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "components.kube.network_policies" in graph.edges["components.zero_trust_network"]
    assert set(graph.edges) >= PEERS | BUILDING_BLOCKS
    assert {"components.targets.kubernetes", "components.targets.docker_host"} <= set(graph.edges)


# Every import statement Python runs while importing each module of components/ once:
# (importer, module) pairs, each module also when it is a name of `from x import name`.
_RUNS_SCRIPT = """
import builtins, importlib, importlib.util, json, sys
seen = set()
real = builtins.__import__

def recording(name, globals=None, locals=None, fromlist=(), level=0):
    module = real(name, globals, locals, fromlist, level)
    importer = (globals or {}).get("__name__", "")
    if importer.split(".")[0] == "components":
        full = importlib.util.resolve_name("." * level + name, globals["__package__"]) if level else name
        for target in [full, *(f"{full}.{n}" for n in fromlist or () if f"{full}.{n}" in sys.modules)]:
            if target.split(".")[0] == "components":
                seen.add((importer, target))
    return module

builtins.__import__ = recording
for module in json.loads(sys.argv[1]):
    importlib.import_module(module)
print(json.dumps(sorted(seen)))
"""


def test_the_graph_holds_every_import_python_runs() -> None:
    """The reader misses no import: each one Python runs while importing every module is an
    edge of the graph, with the packages above the module it names (the graph holds more:
    the imports inside functions that were not called)."""
    graph = import_graph()
    done = subprocess.run(
        [sys.executable, "-c", _RUNS_SCRIPT, json.dumps(sorted(graph.edges))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ran = [tuple(pair) for pair in json.loads(done.stdout)]
    assert ("components.zero_trust_network", "components.kube.network_policies") in ran
    missed = [
        (importer, target)
        for importer, imported in ran
        for target in [*_ancestors(imported, graph.edges), imported]
        if target not in (importer, *_ancestors(importer, graph.edges), *graph.edges[importer])
    ]
    assert missed == []


def test_no_import_cycle_in_components() -> None:
    cycles = cycles_report(import_graph().edges)
    assert not cycles, "\n".join(cycles)


def test_the_components_folder_holds_the_components_and_their_bricks() -> None:
    """Value kinds, the wiring and other pieces of a layer live in that layer, not beside
    the ComponentResources (so no pure builder imports "up" into components/*.py)."""
    loose = {m for m in import_graph().edges if m.count(".") == 1 and not m.startswith("components.targets")}
    assert loose - {"components.config", "components.datastores", "components.docker", "components.kube"} - {
        "components.plan",
        "components.program",
        "components.render",
        "components.resources",
        "components.values",
        "components.views",
    } <= PEERS | {"components.secure_deployment"}


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


def test_each_layer_imports_only_what_is_below_it() -> None:
    graph = import_graph()
    wrong = []
    for source, target in _edges(graph):
        layer, other = layer_of(source, graph), layer_of(target, graph)
        if layer in MAY_IMPORT and other is not None and other != layer and other not in MAY_IMPORT[layer]:
            wrong.append(f"{source} ({layer}) imports {target} ({other})")
    assert wrong == []


def test_the_layers_are_read() -> None:
    graph = import_graph()
    assert layer_of("components.datastores.postgres.settings", graph) == "datastore settings"
    assert layer_of("components.datastores.postgres.datastore", graph) == "datastores"
    assert layer_of("components.config.loader", graph) == "gate"
    assert layer_of("components.config.secrets_source", graph) == "config"
    assert layer_of("components.render.quoting", graph) == "values"
    # Empty package __init__s are in no layer; one that imports is in its package's.
    assert layer_of("components.datastores", graph) is None
    assert layer_of("components.render.alerts", graph) == "render"


def test_the_model_runs_neither_pulumi_nor_the_gate_nor_the_datastores_behaviour() -> None:
    """Another program can take the model's parts (a WorkloadSpec, say) without this
    estate's loader, Pulumi's runtime config, DEFAULTS or the datastores' behaviour."""
    graph = import_graph()
    # Not the values: SecretText.resolve still turns a recipe into a Pulumi Output.
    for module in graph.edges:
        if layer_of(module, graph) in {"datastore settings", "config"}:
            ran = graph.runs(module)
            above = sorted(
                m for m in ran if layer_of(m, graph) not in {None, "values", "datastore settings", "config"}
            )
            assert above == [], module
            assert not [n for n in graph.external_runs(module) if n.startswith("pulumi")], module


def test_python_runs_no_more_for_a_workload_spec() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from components.config.workloads import WorkloadSpec; "
            "print(json.dumps(sorted(sys.modules)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    ran = set(json.loads(done.stdout))
    assert "components.config.workloads" in ran
    assert not {m for m in ran if m.split(".")[0].startswith("pulumi")}
    assert sorted(m for m in ran if m.startswith("components.")) == [
        "components.config",
        "components.config.base",
        "components.config.errors",
        "components.config.types",
        "components.config.workloads",
    ]


def test_the_policy_pack_imports_nothing_from_components() -> None:
    wrong = []
    for path in sorted((ROOT / "policies").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            wrong += [(path.name, n) for n in names if n.split(".")[0] == "components"]
    assert wrong == []
