"""The prod estate as Kubernetes objects ready to send, and how to apply it in an order a
real control plane accepts."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from tests.support.program import ROOT, SECRET_MARK, SECRET_SIG, Snapshot

from .kube import Kube, Response


@dataclass
class AppliedEstate:
    objects: list[dict[str, Any]]
    first: dict[str, Response]
    second: dict[str, Response]
    seconds: float

    @property
    def namespaces(self) -> list[str]:
        return [o["metadata"]["name"] for o in self.objects if o["kind"] == "Namespace"]

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] in kinds]


# Cluster-scoped and admission-relevant kinds go first: objects in a namespace need it
# to exist (NamespaceLifecycle), and quota-counted objects are rejected while a quota's
# usage is still unknown, so the quota is applied and its status awaited before them.
FIRST = ("CustomResourceDefinition", "Namespace")
POLICY = ("ResourceQuota", "LimitRange")


def to_wire(value: Any) -> Any:
    """The object as the Kubernetes provider sends it. The mock records what the Python
    SDK put on the wire: secrets wrapped in Pulumi's secret envelope and every number a
    double (protobuf Struct has no integers); the provider unwraps the one and turns
    whole doubles back into integers before the API server sees them."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_MARK:
            return to_wire(value.get("value"))
        return {k: to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def manifests(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [to_wire(r.manifest) for r in snapshot.kubernetes_objects()]


def ident(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{obj['kind']} {ns + '/' if ns else ''}{meta.get('name')}"


def ordered(objs: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    objs = list(objs)
    first = [o for o in objs if o["kind"] in FIRST]
    policy = [o for o in objs if o["kind"] in POLICY]
    rest = [o for o in objs if o["kind"] not in FIRST + POLICY]
    first.sort(key=lambda o: FIRST.index(o["kind"]))
    return [first, policy, rest]


def _group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    api_version = str(obj["apiVersion"])
    return (api_version.split("/", maxsplit=1)[0] if "/" in api_version else "", str(obj["kind"]))


def vendored_crds() -> dict[tuple[str, str], dict[str, Any]]:
    """CRDs kept in the test data (e.g. Gateway API), by (group, kind). A cluster gets them
    from its operators, not from this program, so the estate may use kinds they define."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((ROOT / "tests").glob("*/data/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                found[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = doc
    return found


def crds_for(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The vendored CRDs that define kinds the estate uses and the estate does not define."""
    defined = {
        (o["spec"]["group"], o["spec"]["names"]["kind"])
        for o in objs
        if o["kind"] == "CustomResourceDefinition"
    }
    available = vendored_crds()
    wanted = {_group_kind(o) for o in objs} - defined
    return [available[gk] for gk in sorted(wanted) if gk in available]


def status_conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """An object's status conditions; right after a create the server may answer `status` or
    `conditions` as null, which means none yet."""
    return list((obj.get("status") or {}).get("conditions") or [])


def wait_for_crds(kube: Kube, crds: list[dict[str, Any]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    pending = list(crds)
    while pending and time.monotonic() < deadline:
        conditions = {c["type"]: c["status"] for c in status_conditions(kube.get(pending[0]).body)}
        if conditions.get("Established") == "True":
            pending.pop(0)
        else:
            time.sleep(0.2)
    if pending:
        raise AssertionError(f"CRDs not established after {timeout} s: {[ident(c) for c in pending]}")
    kube.invalidate_discovery()


def wait_for_quota_status(kube: Kube, namespace: str, timeout: float = 60) -> None:
    """Blocks until the quota controller has computed the usage of every quota."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        quotas = kube.items(f"/api/v1/namespaces/{namespace}/resourcequotas")
        if all((q.get("status") or {}).get("hard") and "used" in q["status"] for q in quotas):
            return
        time.sleep(0.2)
    raise AssertionError(f"quota usage in {namespace} not computed after {timeout} s")


def apply_all(kube: Kube, objs: list[dict[str, Any]]) -> dict[str, Response]:
    """Applies objects in the order above; returns each object's response by ident."""
    results: dict[str, Response] = {}
    for batch in ordered(objs):
        for obj in batch:
            results[ident(obj)] = kube.apply(obj)
        crds = [o for o in batch if o["kind"] == "CustomResourceDefinition"]
        if crds:
            wait_for_crds(kube, crds)
        for ns in {o["metadata"].get("namespace") for o in batch if o["kind"] == "ResourceQuota"}:
            wait_for_quota_status(kube, ns)
    return results
