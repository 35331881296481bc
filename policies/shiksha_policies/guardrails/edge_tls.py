"""Guardrail: every Ingress and Gateway listener terminates TLS and the edge sends HSTS.

Ingress: spec.tls must cover every rule host, and an annotation must carry a
Strict-Transport-Security header with a positive max-age (how ingress-nginx and our
IngressWithHeaders attach response headers). Gateway API: every listener must be HTTPS or
TLS in Terminate mode; HSTS is a response header an HTTPRoute rule adds with a
ResponseHeaderModifier filter, so each HTTPRoute rule must add it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import fmt_path, kube_type, of_kinds
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule, Subject
from ._common import ESTATE, nsa

_HSTS = re.compile(r"strict-transport-security\s*[:\"' ]+\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


def hsts_max_age(text: str) -> int | None:
    m = _HSTS.search(text)
    return int(m.group(1)) if m else None


def _ingress(subject: Subject) -> Iterator[Finding]:
    props = subject.props
    spec = get(props, "spec")
    if is_unknown(spec) or not isinstance(spec, dict):
        return
    tls = as_list(spec.get("tls"))
    rules = as_list(spec.get("rules"))
    if is_unknown(tls) or is_unknown(rules):
        return
    assert isinstance(tls, list) and isinstance(rules, list)
    if not tls:
        yield Finding("spec.tls", "is empty; the Ingress must terminate TLS")
    else:
        covered: set[str] = set()
        for t in tls:
            hosts = as_list(get(t, "hosts"))
            if is_unknown(t) or is_unknown(hosts) or any(is_unknown(h) for h in hosts):
                return
            covered |= {h for h in hosts if isinstance(h, str)}
        for i, r in enumerate(rules):
            host = get(r, "host")
            if isinstance(host, str) and host not in covered and f"*.{host.split('.', 1)[-1]}" not in covered:
                yield Finding(f"spec.rules[{i}].host", f"{host!r} is not listed in any spec.tls[*].hosts")
    annotations = get(props, "metadata", "annotations")
    if is_unknown(annotations):
        return
    values = [v for v in (annotations or {}).values() if isinstance(v, str)]
    if any(is_unknown(v) for v in (annotations or {}).values()):
        return
    ages = [a for a in (hsts_max_age(v) for v in values) if a is not None]
    if not ages:
        yield Finding("metadata.annotations", "send no Strict-Transport-Security header; add HSTS")
    elif max(ages) <= 0:
        yield Finding("metadata.annotations", "set Strict-Transport-Security max-age=0, which disables HSTS")


def _gateway(subject: Subject) -> Iterator[Finding]:
    listeners = as_list(get(subject.props, "spec", "listeners"))
    if is_unknown(listeners):
        return
    assert isinstance(listeners, list)
    for i, listener in enumerate(listeners):
        protocol = get(listener, "protocol")
        mode = get(listener, "tls", "mode")
        if is_unknown(protocol) or is_unknown(mode):
            continue
        name = get(listener, "name")
        if protocol not in ("HTTPS", "TLS"):
            yield Finding(
                f"spec.listeners[{i}].protocol", f"is {protocol!r} (listener {name!r}); must be HTTPS or TLS"
            )
        elif mode not in (None, "Terminate"):
            yield Finding(
                f"spec.listeners[{i}].tls.mode", f"is {mode!r} (listener {name!r}); must be Terminate"
            )


def _route_adds_hsts(rule: Any) -> bool | None:
    filters = as_list(get(rule, "filters"))
    if is_unknown(filters):
        return None
    for f in filters:
        if is_unknown(get(f, "type")):
            return None
        if get(f, "type") != "ResponseHeaderModifier":
            continue
        mod = get(f, "responseHeaderModifier")
        for section in ("set", "add"):
            headers = as_list(get(mod, section))
            if is_unknown(headers):
                return None
            for h in headers:
                name, value = get(h, "name"), get(h, "value")
                if is_unknown(name) or is_unknown(value):
                    return None
                if (
                    isinstance(name, str)
                    and name.lower() == "strict-transport-security"
                    and isinstance(value, str)
                    and (hsts_max_age(f"{name}: {value}") or 0) > 0
                ):
                    return True
    return False


def _http_route(subject: Subject) -> Iterator[Finding]:
    rules = as_list(get(subject.props, "spec", "rules"))
    if is_unknown(rules):
        return
    assert isinstance(rules, list)
    for i, rule in enumerate(rules):
        if _route_adds_hsts(rule) is False:
            yield Finding(
                fmt_path(("spec", "rules", i, "filters")),
                "add no Strict-Transport-Security response header (ResponseHeaderModifier)",
            )


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    t = kube_type(subject.resource_type)
    if t is None:
        return
    if t.kind == "Ingress" and t.group == "networking.k8s.io":
        yield from _ingress(subject)
    elif t.group == "gateway.networking.k8s.io" and t.kind == "Gateway":
        yield from _gateway(subject)
    elif t.group == "gateway.networking.k8s.io" and t.kind == "HTTPRoute":
        yield from _http_route(subject)


RULE = Rule(
    name="edge-tls-hsts",
    description="Every Ingress and Gateway listener must terminate TLS and the edge must send HSTS.",
    severity=Severity.HIGH,
    remediation_steps="Add spec.tls covering every host and a Strict-Transport-Security header "
    "(e.g. max-age=31536000; includeSubDomains) via the ingress annotations; for Gateway API use "
    "HTTPS listeners and a ResponseHeaderModifier filter on each HTTPRoute rule.",
    frameworks=(nsa("Encrypt traffic in transit (TLS)"), ESTATE),
    check=check,
    applies_to=of_kinds("Ingress", "Gateway", "HTTPRoute"),
    tags=("edge", "network"),
)
