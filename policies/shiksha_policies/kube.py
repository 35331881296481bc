"""Where the pod lives in each Kubernetes kind, and the containers a pod runs.

Kinds are recognised from the resource type token (``kubernetes:apps/v1:Deployment``),
so raw YAML, Helm charts and future programs are judged the same way as our components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from .props import UNKNOWN, as_dict, as_list, get, is_unknown

# Path from the object root to the pod template (metadata + spec) for each pod-bearing kind;
# an empty tuple means the object itself is the pod.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
POD_BEARING_KINDS = tuple(POD_TEMPLATE_PATHS)

# All three lists: the PSS controls name each of them.
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

# Pod-level securityContext fields a container inherits unless it sets its own.
INHERITED_FIELDS = (
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "seccompProfile",
    "seLinuxOptions",
    "appArmorProfile",
    "windowsOptions",
)

OPT_OUT_ANNOTATION = "shiksha.io/security-opt-out"


@dataclass(frozen=True)
class KubeType:
    group_version: str
    kind: str

    @property
    def group(self) -> str:
        return self.group_version.split("/")[0] if "/" in self.group_version else ""


# pulumi-kubernetes generates, for every kind, a ``<Kind>Patch`` type (server-side apply of
# the fields it sets onto an object that may exist already) and a ``<Kind>List`` type (a
# list object whose ``items`` are full objects of the kind). No Kubernetes kind ends in
# either word, so the suffix says which shape the inputs have.
PATCH, LIST = "Patch", "List"


@cache  # type tokens are few; every rule asks about each resource's
def split_variant(resource_type: str) -> tuple[str, str]:
    """``kubernetes:apps/v1:DeploymentPatch`` -> ("kubernetes:apps/v1:Deployment", "Patch");
    the variant is "" for the kind itself and for every non-Kubernetes type."""
    if resource_type.startswith("kubernetes:"):
        for suffix in (PATCH, LIST):
            if resource_type.endswith(suffix) and resource_type.count(":") == 2:
                base = resource_type[: -len(suffix)]
                if not base.endswith(":"):
                    return base, suffix
    return resource_type, ""


@cache
def kube_type(resource_type: str) -> KubeType | None:
    """``kubernetes:apps/v1:Deployment`` (or its Patch type) -> KubeType("apps/v1", "Deployment")."""
    parts = split_variant(resource_type)[0].split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    return KubeType(parts[1], parts[2])


@cache
def kind_of(resource_type: str) -> str | None:
    t = kube_type(resource_type)
    return t.kind if t else None


def fmt_path(parts: tuple[str | int, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif "." in p or "/" in p:
            out += f"[{p!r}]"
        else:
            out += ("." if out else "") + p
    return out


@dataclass(frozen=True)
class Container:
    list_name: str
    index: int
    body: dict[str, Any]
    path: tuple[str | int, ...]

    @property
    def name(self) -> str:
        n = self.body.get("name")
        return n if isinstance(n, str) else f"#{self.index}"

    def at(self, *rest: str | int) -> str:
        return fmt_path((*self.path, *rest))

    def sc_path(self, *rest: str) -> str:
        return self.at("securityContext", *rest)


@dataclass(frozen=True)
class PodView:
    """The pod a resource runs, with paths that name fields as the user wrote them.

    partial: the object is a Patch, judged only on the fields it sets; a check that
    complains about an unset field asks ``pod.partial`` first."""

    kind: str
    obj: dict[str, Any]
    template_path: tuple[str, ...]
    partial: bool = False
    version: tuple[int, int] = (1, 37)  # the Pod Security Standards' Kubernetes version

    @property
    def spec_path(self) -> tuple[str, ...]:
        return (*self.template_path, "spec")

    # Cached: one PodView serves every pod rule of a resource (pod_security._common.pod_input).
    @cached_property
    def spec(self) -> Any:
        return get(self.obj, *self.spec_path)

    def path(self, *rest: str | int) -> str:
        return fmt_path((*self.spec_path, *rest))

    @property
    def annotations_path(self) -> tuple[str, ...]:
        return (*self.template_path, "metadata", "annotations")

    @cached_property
    def annotations(self) -> dict[str, Any] | Any:
        return as_dict(get(self.obj, *self.annotations_path))

    @property
    def pod_security_context(self) -> dict[str, Any] | Any:
        spec = self.spec
        if is_unknown(spec):
            return UNKNOWN
        return as_dict(get(spec, "securityContext"))

    @property
    def is_windows(self) -> bool:
        """Windows pods are exempt from the Linux-only controls; an unknown OS might be
        Windows, so it is treated as such rather than risk a false violation."""
        name = get(self.spec, "os", "name")
        return is_unknown(name) or name == "windows"

    def containers(self) -> Iterator[Container]:
        """Every container of every list; an unknown list is skipped, never guessed."""
        return iter(self._containers)

    @cached_property
    def _containers(self) -> tuple[Container, ...]:
        spec = self.spec
        if is_unknown(spec) or not isinstance(spec, dict):
            return ()
        out = []
        for list_name in CONTAINER_LISTS:
            items = as_list(spec.get(list_name))
            if is_unknown(items):
                continue
            assert isinstance(items, list)
            out += [
                Container(list_name, i, c, (*self.spec_path, list_name, i))
                for i, c in enumerate(items)
                if isinstance(c, dict)
            ]
        return tuple(out)

    def effective(self, container: Container, field: str) -> tuple[Any, str]:
        """A container's securityContext field after pod-level inheritance, with the path
        of the field that decided it (the container's own when set, else the pod's)."""
        csc = as_dict(container.body.get("securityContext"))
        if is_unknown(csc):
            return UNKNOWN, container.sc_path()
        assert isinstance(csc, dict)
        if csc.get(field) is not None:
            return csc[field], container.sc_path(field)
        if field in INHERITED_FIELDS:
            psc = self.pod_security_context
            if is_unknown(psc):
                return UNKNOWN, self.path("securityContext")
            if psc.get(field) is not None:
                return psc[field], self.path("securityContext", field)
        return None, container.sc_path(field)

    def opt_out_note(self) -> str:
        ann = self.annotations
        if is_unknown(ann) or not isinstance(ann, dict):
            return ""
        text = ann.get(OPT_OUT_ANNOTATION)
        if isinstance(text, str) and text:
            return f' (declared opt-out "{OPT_OUT_ANNOTATION}: {text}" noted; the field is still judged)'
        return ""


def is_pod_type(resource_type: str) -> bool:
    return kind_of(resource_type) in POD_TEMPLATE_PATHS


def of_kinds(*kinds: str) -> Callable[[str], bool]:
    wanted = frozenset(kinds)
    return lambda resource_type: kind_of(resource_type) in wanted


def pod_view(resource_type: str, props: Any, partial: bool | None = None) -> PodView | None:
    """The pod of a pod-bearing kind or its Patch type (partial unless told otherwise)."""
    base, variant = split_variant(resource_type)
    kind = kind_of(base)
    if kind not in POD_TEMPLATE_PATHS or variant == LIST or not isinstance(props, dict):
        return None
    return PodView(kind, props, POD_TEMPLATE_PATHS[kind], variant == PATCH if partial is None else partial)


def describe(resource_type: str, props: Any, logical_name: str) -> str:
    """ "Deployment shiksha-setu/api (pulumi name 'api')" for messages (DeploymentPatch ...
    for a patch)."""
    kind = resource_type.rsplit(":", 1)[-1] if kube_type(resource_type) else resource_type
    meta = get(props, "metadata")
    name = get(meta, "name")
    ns = get(meta, "namespace")
    shown = name if isinstance(name, str) else "<name unknown>"
    if isinstance(ns, str) and ns:
        shown = f"{ns}/{shown}"
    return f"{kind} {shown} (pulumi name '{logical_name}')"
