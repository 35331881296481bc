"""Safe automatic fixes for four Restricted controls.

They run only when a stack sets that policy's enforcementLevel to "remediate" in the pack
config (off by default), and they only tighten: a value is added where it is missing or
replaced where it is a known bad value; unknown values are left for the engine to resolve.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from .kube import CONTAINER_LISTS, POD_TEMPLATE_PATHS, kind_of
from .props import get, is_unknown

ContainerFix = Callable[[dict[str, Any], dict[str, Any]], bool]


def _pod_spec(props: dict[str, Any], resource_type: str) -> dict[str, Any] | None:
    kind = kind_of(resource_type)
    if kind not in POD_TEMPLATE_PATHS:
        return None
    spec = get(props, *POD_TEMPLATE_PATHS[kind], "spec")
    return spec if isinstance(spec, dict) else None


def _containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if isinstance(items, list):
            yield from (c for c in items if isinstance(c, dict))


def _sc(holder: dict[str, Any]) -> dict[str, Any] | None:
    sc = holder.get("securityContext")
    if sc is None:
        sc = holder["securityContext"] = {}
    return sc if isinstance(sc, dict) else None


def _apply(
    resource_type: str,
    props: dict[str, Any],
    pod_fix: ContainerFix | None,
    container_fix: ContainerFix | None,
) -> dict[str, Any] | None:
    new = copy.deepcopy(props)
    spec = _pod_spec(new, resource_type)
    if spec is None:
        return None
    changed = False
    psc = _sc(spec)
    if pod_fix is not None and psc is not None:
        changed |= pod_fix(spec, psc)
    if container_fix is not None:
        for c in _containers(spec):
            csc = _sc(c)
            if csc is not None:
                changed |= container_fix(spec, csc)
    return new if changed else None


def _seccomp_pod(_spec: dict[str, Any], psc: dict[str, Any]) -> bool:
    t = get(psc, "seccompProfile", "type")
    if is_unknown(t) or t in ("RuntimeDefault", "Localhost"):
        return False
    psc["seccompProfile"] = {"type": "RuntimeDefault"}
    return True


def _seccomp_container(_spec: dict[str, Any], csc: dict[str, Any]) -> bool:
    t = get(csc, "seccompProfile", "type")
    if t is None or is_unknown(t) or t in ("RuntimeDefault", "Localhost"):
        return False  # unset inherits the pod-level RuntimeDefault set above
    csc["seccompProfile"] = {"type": "RuntimeDefault"}
    return True


def seccomp_runtime_default(resource_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
    return _apply(resource_type, props, _seccomp_pod, _seccomp_container)


def _no_escalation(_spec: dict[str, Any], csc: dict[str, Any]) -> bool:
    v = csc.get("allowPrivilegeEscalation")
    if v is False or is_unknown(v):
        return False
    csc["allowPrivilegeEscalation"] = False
    return True


def no_privilege_escalation(resource_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
    return _apply(resource_type, props, None, _no_escalation)


def _drop_all(_spec: dict[str, Any], csc: dict[str, Any]) -> bool:
    caps = csc.get("capabilities")
    if caps is None:
        caps = csc["capabilities"] = {}
    if not isinstance(caps, dict):
        return False
    drop = caps.get("drop")
    if is_unknown(drop):
        return False
    drop = list(drop) if isinstance(drop, list) else []
    if "ALL" in drop:
        return False
    caps["drop"] = ["ALL", *drop]
    return True


def drop_all_capabilities(resource_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
    return _apply(resource_type, props, None, _drop_all)


def _non_root_pod(_spec: dict[str, Any], psc: dict[str, Any]) -> bool:
    v = psc.get("runAsNonRoot")
    if v is True or is_unknown(v):
        return False
    psc["runAsNonRoot"] = True
    return True


def _non_root_container(_spec: dict[str, Any], csc: dict[str, Any]) -> bool:
    if csc.get("runAsNonRoot") is False:
        csc["runAsNonRoot"] = True
        return True
    return False


def run_as_non_root(resource_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
    return _apply(resource_type, props, _non_root_pod, _non_root_container)
