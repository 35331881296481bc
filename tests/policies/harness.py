"""Builds every pod-bearing kind around a pod spec and runs rules the way the pack does."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(ROOT / "policies") not in sys.path:
    sys.path.insert(0, str(ROOT / "policies"))

from shiksha_policies.kube import CONTAINER_LISTS, POD_TEMPLATE_PATHS, fmt_path  # noqa: E402
from shiksha_policies.rule import Finding, Rule, StackResource, Subject  # noqa: E402

TYPE_TOKENS = {
    "Pod": "kubernetes:core/v1:Pod",
    "Deployment": "kubernetes:apps/v1:Deployment",
    "StatefulSet": "kubernetes:apps/v1:StatefulSet",
    "DaemonSet": "kubernetes:apps/v1:DaemonSet",
    "ReplicaSet": "kubernetes:apps/v1:ReplicaSet",
    "ReplicationController": "kubernetes:core/v1:ReplicationController",
    "Job": "kubernetes:batch/v1:Job",
    "CronJob": "kubernetes:batch/v1:CronJob",
    "PodTemplate": "kubernetes:core/v1:PodTemplate",
}
KINDS = tuple(POD_TEMPLATE_PATHS)
LABELS = {"app.kubernetes.io/name": "demo"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


BASE = load(FIXTURES / "pss" / "_base.yaml")


def merge(base: Any, patch: Any) -> Any:
    """Deep merge where dicts merge, lists and scalars replace, and null removes a key."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


def wrap(
    kind: str,
    pod_spec: dict[str, Any],
    annotations: dict[str, str] | None = None,
    name: str = "demo",
    namespace: str = "shiksha-setu",
) -> tuple[str, dict[str, Any]]:
    """The object of `kind` whose pod is `pod_spec`, as its manifest would be written."""
    meta = {"name": name, "namespace": namespace, "labels": dict(LABELS)}
    tmeta: dict[str, Any] = {"labels": dict(LABELS)}
    if annotations:
        tmeta["annotations"] = dict(annotations)
    template = {"metadata": tmeta, "spec": pod_spec}
    selector = {"matchLabels": dict(LABELS)}
    api = TYPE_TOKENS[kind].split(":")[1]
    api_version = api.removeprefix("core/")
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if kind == "Pod":
        obj["metadata"] = {**meta, **({"annotations": dict(annotations)} if annotations else {})}
        obj["spec"] = pod_spec
    elif kind == "PodTemplate":
        obj["template"] = template
    elif kind == "CronJob":
        obj["spec"] = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        obj["spec"] = {"template": template}
    else:
        obj["spec"] = {"replicas": 2, "selector": selector, "template": template}
    return TYPE_TOKENS[kind], obj


def full_path(kind: str, rel: str) -> str:
    """A fixture path (relative to the pod spec, or to the pod template when it starts with
    metadata) as the policy must name it for this kind."""
    if rel.startswith("metadata"):
        prefix = fmt_path(POD_TEMPLATE_PATHS[kind])
    else:
        prefix = fmt_path((*POD_TEMPLATE_PATHS[kind], "spec"))
    return f"{prefix}.{rel}" if prefix else rel


@dataclass(frozen=True)
class Case:
    policy: str
    name: str
    kind: str
    container_list: str
    resource_type: str
    props: dict[str, Any]
    expect_path: str | None  # None for a good case
    container: str | None

    @property
    def id(self) -> str:
        return f"{self.policy}:{self.name}:{self.kind}:{self.container_list}"


def build_pod(
    case: dict[str, Any], container_list: str, pod_base: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The pod of a case: the base pod, the pod patch, and the container patch applied to a
    container placed in `container_list`. Returns the pod and the patched container's name."""
    pod = merge(pod_base, case.get("pod") or {})
    container = merge(BASE["container"], case.get("container") or {})
    if container_list == "containers":
        pod["containers"] = [merge(pod["containers"][0], case.get("container") or {})]
        return pod, pod["containers"][0]["name"]
    if container_list == "ephemeralContainers":
        # The API refuses resources and probes on ephemeral containers.
        for field in ("resources", "readinessProbe", "livenessProbe", "startupProbe"):
            container.pop(field, None)
    container["name"] = f"extra-{container_list.lower()}"
    pod[container_list] = [container]
    return pod, container["name"]


def pss_cases(fixture: Path) -> Iterator[Case]:
    data = load(fixture)
    policy = data["policy"]
    lists = data.get("lists") or list(CONTAINER_LISTS)
    pod_base = merge(BASE["pod"], data.get("base") or {})
    for quality in ("good", "bad"):
        for case in data.get(quality) or []:
            kinds = case.get("kinds") or data.get("kinds") or list(KINDS)
            case_lists = case.get("lists") or lists if "container" in case else [lists[0]]
            for kind in kinds:
                for cl in case_lists:
                    pod, cname = build_pod(case, cl, pod_base)
                    rtype, props = wrap(kind, pod, case.get("annotations"))
                    expect = full_path(kind, case["path"].format(list=cl)) if quality == "bad" else None
                    yield Case(
                        policy,
                        case["name"],
                        kind,
                        cl,
                        rtype,
                        props,
                        expect,
                        cname
                        if quality == "bad" and "container" in case and case.get("container_named", True)
                        else None,
                    )


def run_rule(
    rule: Rule,
    resource_type: str,
    props: dict[str, Any],
    name: str = "demo",
    config: dict[str, Any] | None = None,
) -> list[Finding]:
    urn = f"urn:pulumi:test::shiksha-setu::{resource_type}::{name}"
    return rule.evaluate(Subject(resource_type, props, name, urn), config)


def stack_resources(items: list[dict[str, Any]]) -> list[StackResource]:
    out = []
    for it in items:
        name = it.get("name") or it["props"].get("metadata", {}).get("name", "r")
        out.append(
            StackResource(
                it["type"], it["props"], name, f"urn:pulumi:test::shiksha-setu::{it['type']}::{name}"
            )
        )
    return out


def expand_stack(items: list[dict[str, Any]]) -> list[StackResource]:
    """Stack fixture resources; `workload:` entries are built from the base pod."""
    plain_items = []
    for it in items:
        w = it.get("workload")
        if w is None:
            plain_items.append(it)
            continue
        pod = merge(BASE["pod"], w.get("pod") or {})
        rtype, props = wrap(
            w["kind"], pod, w.get("annotations"), name=w["name"], namespace=w.get("namespace", "shiksha-setu")
        )
        if "replicas" in w:
            props["spec"]["replicas"] = w["replicas"]
        if "labels" in w:
            tmpl = props["spec"]["template"]
            tmpl["metadata"]["labels"] = dict(w["labels"])
        plain_items.append({"type": rtype, "name": w["name"], "props": props})
    return stack_resources(plain_items)
