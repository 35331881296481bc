"""The Kubernetes API server's naming and range rules that the OpenAPI schemas do not
carry (k8s.io/apimachinery/pkg/util/validation and the core validation), written from
the Kubernetes documentation, independently of the estate model's own checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_LABEL_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
INT32_MAX = 2**31 - 1
# Kinds whose name must be a DNS-1123 label (or DNS-1035 for Services); the rest take subdomains.
LABEL_NAMED = {"Namespace"}
SERVICE = "Service"


def dns_label(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and _LABEL.fullmatch(value) is not None


def dns_subdomain(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= 253
        and all(_LABEL.fullmatch(part) for part in value.split("."))
    )


def dns1035_label(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and _LABEL_1035.fullmatch(value) is not None


def port_name(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 15
        and re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", value, re.ASCII) is not None
        and "--" not in value
        and re.search(r"[a-z]", value) is not None
    )


def label_key(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not dns_subdomain(prefix):
        return False
    return len(name) <= 63 and _QUALIFIED_NAME.fullmatch(name) is not None


def label_value(value: Any) -> bool:
    return isinstance(value, str) and (
        value == "" or (len(value) <= 63 and _QUALIFIED_NAME.fullmatch(value) is not None)
    )


TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def toleration_problems(toleration: dict[str, Any]) -> Iterator[str]:
    """ValidateTolerations (k8s.io/kubernetes v1.37 pkg/apis/core/validation), rule by rule,
    with the comparison operators Lt/Gt off as their feature gate is by default."""
    key, operator = toleration.get("key", ""), toleration.get("operator", "")
    value, effect = toleration.get("value", ""), toleration.get("effect", "")
    if key and not label_key(key):
        yield f"toleration key {key!r}"
    if not key and operator != "Exists":
        yield "toleration with an empty key and an operator other than Exists"
    if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
        yield f"tolerationSeconds with effect {effect!r}"
    if operator in ("Equal", ""):
        if not label_value(value):
            yield f"toleration value {value!r}"
    elif operator == "Exists":
        if value:
            yield f"toleration value {value!r} with operator Exists"
    else:
        yield f"toleration operator {operator!r}"
    if effect and effect not in TAINT_EFFECTS:
        yield f"taint effect {effect!r}"


def _pod_spec_problems(spec: dict[str, Any]) -> Iterator[str]:
    for toleration in spec.get("tolerations", []):
        yield from toleration_problems(toleration)
    volumes = [v.get("name") for v in spec.get("volumes", [])]
    if len(set(volumes)) != len(volumes):
        yield f"duplicate volume names {volumes}"
    for volume in volumes:
        if not dns_label(volume):
            yield f"volume name {volume!r}"
    for container in spec.get("containers", []):
        if not dns_label(container.get("name")):
            yield f"container name {container.get('name')!r}"
        names = []
        for port in container.get("ports", []):
            if "name" in port:
                names.append(port["name"])
                if not port_name(port["name"]):
                    yield f"port name {port['name']!r}"
            if not 1 <= port.get("containerPort", 0) <= 65535:
                yield f"containerPort {port.get('containerPort')!r}"
        if len(set(names)) != len(names):
            yield f"duplicate port names {names}"
        for mount in container.get("volumeMounts", []):
            if mount.get("name") not in volumes and mount.get("name") != "data":
                yield f"volumeMount of an unknown volume {mount.get('name')!r}"


def problems(manifest: dict[str, Any]) -> Iterator[str]:
    """What the API server would refuse in one object that its schema lets through."""
    kind = manifest.get("kind", "")
    meta = manifest.get("metadata", {})
    name = meta.get("name")
    if kind == SERVICE:
        if not dns1035_label(name):
            yield f"Service name {name!r} is not a DNS-1035 label"
    elif kind in LABEL_NAMED:
        if not dns_label(name):
            yield f"{kind} name {name!r} is not a DNS-1123 label"
    elif not dns_subdomain(name):
        yield f"{kind} name {name!r} is not a DNS-1123 subdomain"
    for key, value in (meta.get("labels") or {}).items():
        if not label_key(key) or not label_value(value):
            yield f"label {key!r}: {value!r}"
    for key in meta.get("annotations") or {}:
        if not label_key(key):
            yield f"annotation key {key!r}"
    spec = manifest.get("spec") or {}
    replicas = spec.get("replicas")
    if replicas is not None and not 0 <= replicas <= INT32_MAX:
        yield f"replicas {replicas}"
    if kind == "StatefulSet" and isinstance(name, str) and len(name) > 52:
        yield f"StatefulSet name {name!r}: its controller-revision-hash label would exceed 63 characters"
    template = spec.get("template")
    if isinstance(template, dict):
        for key, value in (template.get("metadata", {}).get("labels") or {}).items():
            if not label_key(key) or not label_value(value):
                yield f"pod label {key!r}: {value!r}"
        yield from _pod_spec_problems(template.get("spec", {}))
    if kind == SERVICE:
        ports = spec.get("ports", [])
        numbers = [p.get("port") for p in ports]
        if len(set(numbers)) != len(numbers):
            yield f"duplicate Service ports {numbers}"
        for port in ports:
            if "name" in port and not port_name(port["name"]):
                yield f"Service port name {port['name']!r}"
    if kind == "HorizontalPodAutoscaler" and not (
        1 <= spec.get("minReplicas", 1) <= spec.get("maxReplicas", 0) <= INT32_MAX
    ):
        yield f"autoscaler range {spec.get('minReplicas')}..{spec.get('maxReplicas')}"
