"""Field shapes: a value of the wrong type is a finding that names the field, never a crash.

The engine hands the pack whatever a program wrote: ``procMount: {}``, ``hostPort: "80"``,
a list where an object belongs. The API server would refuse such an object, so a policy
that reads the field reports it ("expected a string at spec.containers[0]...procMount")
at its own enforcement level, and judges the rest of the object on a sanitized copy in
which every wrong-typed value is dropped. Only the fields the pack reads are described;
everything else passes through untouched.

A schema node is a type name (``STR``, ``BOOL``, ``INT``, ``QUANTITY``, ``OBJECT``), a
dict of field -> node (``"*"`` for any key), or a one-element list ``[node]`` for a list.
Each problem carries an abstract path ("spec.container.securityContext.procMount") that rules
match against the paths they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .kube import CONTAINER_LISTS, fmt_path
from .props import _Unknown, is_unknown

STR, BOOL, INT, QUANTITY, OBJECT = "a string", "a boolean", "an integer", "a quantity", "an object"

_PROBE = {"httpGet": {"host": STR}, "tcpSocket": {"host": STR}}
_SECCOMP = {"type": STR, "localhostProfile": STR}
_APPARMOR = {"type": STR, "localhostProfile": STR}
_SELINUX = {"type": STR, "user": STR, "role": STR, "level": STR}
_WINDOWS = {"hostProcess": BOOL}
_RESOURCE_LIST = {"*": QUANTITY}

CONTAINER_SECURITY_CONTEXT = {
    "privileged": BOOL,
    "allowPrivilegeEscalation": BOOL,
    "procMount": STR,
    "runAsNonRoot": BOOL,
    "runAsUser": INT,
    "runAsGroup": INT,
    "readOnlyRootFilesystem": BOOL,
    "capabilities": {"add": [STR], "drop": [STR]},
    "seccompProfile": _SECCOMP,
    "seLinuxOptions": _SELINUX,
    "appArmorProfile": _APPARMOR,
    "windowsOptions": _WINDOWS,
}
CONTAINER = {
    "name": STR,
    "image": STR,
    "securityContext": CONTAINER_SECURITY_CONTEXT,
    "ports": [{"hostPort": INT, "containerPort": INT}],
    "resources": {"requests": _RESOURCE_LIST, "limits": _RESOURCE_LIST},
    "readinessProbe": _PROBE,
    "livenessProbe": _PROBE,
    "startupProbe": _PROBE,
    "lifecycle": {"postStart": _PROBE, "preStop": _PROBE},
}
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": BOOL,
    "runAsUser": INT,
    "runAsGroup": INT,
    "seccompProfile": _SECCOMP,
    "seLinuxOptions": _SELINUX,
    "appArmorProfile": _APPARMOR,
    "windowsOptions": _WINDOWS,
    "sysctls": [{"name": STR, "value": STR}],
}
# Every volume source is an object; hostPath's path is read for messages.
VOLUME = {"name": STR, "hostPath": {"path": STR}, "*": OBJECT}
POD_SPEC: dict[str, Any] = {
    "hostNetwork": BOOL,
    "hostPID": BOOL,
    "hostIPC": BOOL,
    "hostUsers": BOOL,
    "os": {"name": STR},
    "securityContext": POD_SECURITY_CONTEXT,
    "volumes": [VOLUME],
    "automountServiceAccountToken": BOOL,
    "serviceAccountName": STR,
    "restartPolicy": STR,
    **{name: [CONTAINER] for name in CONTAINER_LISTS},
}
OBJECT_META = {"name": STR, "namespace": STR, "annotations": {"*": STR}, "labels": {"*": STR}}
POD_TEMPLATE = {"metadata": OBJECT_META, "spec": POD_SPEC}


def nest(path: tuple[str, ...], node: Any) -> Any:
    """The schema of an object whose pod template sits at `path`."""
    for step in reversed(path):
        node = {step: node}
    return node


@dataclass(frozen=True)
class Problem:
    abstract: str  # "spec.container.securityContext.procMount", "spec.volumes", "" for the object
    path: str  # as the user wrote it: spec.template.spec.containers[0].securityContext.procMount
    expected: str
    found: str

    def relevant_to(self, reads: Iterable[str]) -> bool:
        a = self.abstract
        return any(a == r or not a or r.startswith(a + ".") or a.startswith(r + ".") for r in reads)


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _leaf_ok(kind: str, value: Any) -> bool:
    if kind is STR:
        return isinstance(value, str)
    if kind is BOOL:
        return isinstance(value, bool)
    if kind is INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is QUANTITY:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return isinstance(value, dict)  # OBJECT


# Exact types that satisfy each leaf at once (decoded inputs hold exact types); anything
# else goes through _leaf_ok, which decides.
_LEAF_FAST: dict[str, frozenset[type]] = {
    STR: frozenset({str}),
    BOOL: frozenset({bool}),
    INT: frozenset({int}),
    QUANTITY: frozenset({str, int, float}),
    OBJECT: frozenset({dict}),
}

# A path while walking: () for the root, else (parent path, key or index). Flattened only
# when a problem is recorded, so a well-typed object builds no path at all.
_Path = tuple[Any, ...]


def _flatten(path: _Path) -> tuple[str | int, ...]:
    out: list[str | int] = []
    while path:
        path, step = path
        out.append(step)
    return tuple(reversed(out))


class _Walk:
    def __init__(self, template_path: tuple[str, ...]) -> None:
        self.problems: list[Problem] = []
        self.depth = len(template_path)

    def abstract(self, path: tuple[str | int, ...]) -> str:
        """Index-free path below the pod template; the three container lists fold into
        "spec.container" (the controls judge all three alike)."""
        names = [p for p in path[self.depth :] if isinstance(p, str)]
        if len(names) >= 2 and names[0] == "spec" and names[1] in CONTAINER_LISTS:
            names[1] = "container"
        return ".".join(names)

    def bad(self, path: _Path, expected: str, value: Any) -> None:
        flat = _flatten(path)
        self.problems.append(Problem(self.abstract(flat), fmt_path(flat), expected, _found(value)))

    def clean(self, value: Any, node: Any, path: _Path) -> Any:
        """The value with every wrong-typed part dropped (None), problems recorded.

        Copy on write: a part with nothing to drop is returned as it is (the common case,
        and most of the pack's cost when every part was copied); a part that changes is a
        new dict or list, so the caller's inputs are never modified."""
        if value is None or type(value) is _Unknown:
            return value
        if type(node) is str:
            if type(value) in _LEAF_FAST[node] or _leaf_ok(node, value):
                return value
            self.bad(path, node, value)
            return None
        if type(node) is list:
            if not isinstance(value, list):
                self.bad(path, "a list", value)
                return None
            item_node = node[0]
            items = [self.clean(v, item_node, (path, i)) for i, v in enumerate(value)]
            if type(value) is list and all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items
        if not isinstance(value, dict):
            self.bad(path, OBJECT, value)
            return None
        out: dict[str, Any] | None = None
        anything = node.get("*")
        for key, v in value.items():
            sub = node.get(key, anything)
            if sub is not None:
                c = self.clean(v, sub, (path, key))
                if c is not v:
                    if out is None:
                        out = dict(value)
                    out[key] = c
        if out is None:
            return value if type(value) is dict else dict(value)
        return out


def sanitize(props: Any, schema: Any, template_path: tuple[str, ...] = ()) -> tuple[Any, list[Problem]]:
    """`props` with wrong-typed values dropped (parts with nothing to drop are shared with
    `props`, never modified), and the problems found."""
    walk = _Walk(template_path)
    if not isinstance(props, dict) and not is_unknown(props):
        walk.bad((), OBJECT, props)
        return {}, walk.problems
    return walk.clean(props, schema, ()), walk.problems
