"""Guardrail (stack): every Ingress and Gateway listener terminates TLS and the edge sends HSTS.

A stack policy because the proof often lives in a second object: ingress-nginx reads
response headers from the ConfigMap named by the ``custom-headers`` annotation (snippets
are disabled in the controller), and a Gateway's plain-HTTP listener is acceptable only
when every HTTPRoute attached to it does nothing but redirect to HTTPS.

- Ingress: spec.tls covers every rule host; Strict-Transport-Security with a positive
  max-age is set by an annotation's text or by the referenced custom-headers ConfigMap.
- Gateway: each listener is HTTPS, or TLS in Terminate mode, or HTTP with only
  redirect-to-HTTPS routes attached.
- HTTPRoute: each rule that forwards to a backend sets Strict-Transport-Security with a
  ResponseHeaderModifier filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import describe, fmt_path, kube_type
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule, StackResource
from ._common import ESTATE, kind, namespace_of, nsa

_HSTS = re.compile(r"strict-transport-security\s*[:\"' ]+\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)
CUSTOM_HEADERS = "nginx.ingress.kubernetes.io/custom-headers"
GATEWAY_GROUP = "gateway.networking.k8s.io"

Located = tuple[str, Finding]


# Longer than any real max-age (a year is 8 digits); Python refuses int() of a string over
# 4,300 digits, so longer runs are read as "at least this" rather than converted.
_MAX_DIGITS = 18


def _age(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def hsts_max_age(text: str) -> int | None:
    m = _HSTS.search(text)
    return _age(m.group(1)) if m else None


def _header_max_age(name: Any, value: Any) -> int | None:
    if isinstance(name, str) and name.lower() == "strict-transport-security" and isinstance(value, str):
        m = _MAX_AGE.search(value)
        return _age(m.group(1)) if m else 0
    return None


def _gateway_kind(r: StackResource, wanted: str) -> bool:
    t = kube_type(r.resource_type)
    return t is not None and t.group == GATEWAY_GROUP and t.kind == wanted


def _ingress_tls(r: StackResource, spec: dict[str, Any]) -> Iterator[Finding]:
    tls, rules = as_list(spec.get("tls")), as_list(spec.get("rules"))
    if is_unknown(tls) or is_unknown(rules):
        return
    if not tls:
        yield Finding("spec.tls", "is empty; the Ingress must terminate TLS", urn=r.urn)
        return
    covered: set[str] = set()
    for t in tls:
        hosts = as_list(get(t, "hosts"))
        if is_unknown(t) or is_unknown(hosts) or any(is_unknown(h) for h in hosts):
            return
        covered |= {h for h in hosts if isinstance(h, str)}
    for i, rule in enumerate(rules):
        host = get(rule, "host")
        wildcard = f"*.{host.split('.', 1)[-1]}" if isinstance(host, str) else None
        if isinstance(host, str) and host not in covered and wildcard not in covered:
            yield Finding(
                f"spec.rules[{i}].host", f"{host!r} is not listed in any spec.tls[*].hosts", urn=r.urn
            )


def _ingress_hsts(
    r: StackResource, configmaps: dict[tuple[str, str], Any], unidentified_configmap: bool
) -> Iterator[Finding]:
    annotations = get(r.props, "metadata", "annotations")
    if is_unknown(annotations):
        return
    annotations = annotations if isinstance(annotations, dict) else {}
    if any(is_unknown(v) for v in annotations.values()):
        return
    ages = [a for a in (hsts_max_age(v) for v in annotations.values() if isinstance(v, str)) if a is not None]
    ref = annotations.get(CUSTOM_HEADERS)
    if isinstance(ref, str) and ref:
        ns, _, name = ref.rpartition("/")
        ns = ns or namespace_of(r.props)
        if is_unknown(ns):
            return
        data = configmaps.get((ns, name))
        if data is None and unidentified_configmap:
            return  # the referenced ConfigMap may be the one whose name is not yet known
        if data is None:
            if not ages:
                yield Finding(
                    fmt_path(("metadata", "annotations", CUSTOM_HEADERS)),
                    f"names ConfigMap {ns}/{name}, which is not in this stack, so HSTS cannot be verified",
                    urn=r.urn,
                )
            return
        if is_unknown(data) or any(is_unknown(k) or is_unknown(v) for k, v in data.items()):
            return
        ages += [a for a in (_header_max_age(k, v) for k, v in data.items()) if a is not None]
    if not ages:
        yield Finding("metadata.annotations", "send no Strict-Transport-Security header; add HSTS", urn=r.urn)
    elif max(ages) <= 0:
        yield Finding(
            "metadata.annotations", "set Strict-Transport-Security max-age=0, which disables HSTS", urn=r.urn
        )


def _redirect_only(rule: Any) -> bool | None:
    """True when the rule only redirects to https; None when undecidable."""
    if is_unknown(rule) or not isinstance(rule, dict):
        return None if is_unknown(rule) else False
    backends = as_list(rule.get("backendRefs"))
    filters = as_list(rule.get("filters"))
    if is_unknown(backends) or is_unknown(filters):
        return None
    if backends:
        return False
    for f in filters:
        scheme = get(f, "requestRedirect", "scheme")
        if is_unknown(get(f, "type")) or is_unknown(scheme):
            return None
        if get(f, "type") == "RequestRedirect" and scheme == "https":
            return True
    return False


def _attached(route: StackResource, gateway: StackResource, listener: str) -> bool | None:
    refs = as_list(get(route.props, "spec", "parentRefs"))
    if is_unknown(refs):
        return None
    gw_name, gw_ns = get(gateway.props, "metadata", "name"), namespace_of(gateway.props)
    for ref in refs:
        name, section = get(ref, "name"), get(ref, "sectionName")
        ns = get(ref, "namespace")
        ns = namespace_of(route.props) if ns is None else ns
        if any(is_unknown(x) for x in (name, section, ns, gw_name, gw_ns)):
            return None
        if name == gw_name and ns == gw_ns and section in (None, listener):
            return True
    return False


def _gateway(gw: StackResource, routes: list[StackResource]) -> Iterator[Finding]:
    listeners = as_list(get(gw.props, "spec", "listeners"))
    if is_unknown(listeners):
        return
    for i, listener in enumerate(listeners):
        protocol, mode, name = get(listener, "protocol"), get(listener, "tls", "mode"), get(listener, "name")
        if is_unknown(protocol) or is_unknown(mode) or is_unknown(name):
            continue
        if protocol == "TLS" and mode == "Passthrough":
            yield Finding(
                f"spec.listeners[{i}].tls.mode",
                f"is 'Passthrough' (listener {name!r}); must be Terminate",
                urn=gw.urn,
            )
        elif protocol == "HTTP":
            verdicts: list[bool | None] = []
            for route in routes:
                attached = _attached(route, gw, name)
                if attached is None:
                    verdicts.append(None)
                elif attached:
                    rules = as_list(get(route.props, "spec", "rules"))
                    verdicts += [None] if is_unknown(rules) else [_redirect_only(rule) for rule in rules]
            if None in verdicts:
                continue
            if not verdicts or not all(verdicts):
                yield Finding(
                    f"spec.listeners[{i}].protocol",
                    f"is 'HTTP' (listener {name!r}) and its routes do more than redirect to https",
                    urn=gw.urn,
                )
        elif protocol not in ("HTTPS", "TLS"):
            yield Finding(
                f"spec.listeners[{i}].protocol",
                f"is {protocol!r} (listener {name!r}); must be HTTPS",
                urn=gw.urn,
            )


def _route_hsts(route: StackResource) -> Iterator[Finding]:
    rules = as_list(get(route.props, "spec", "rules"))
    if is_unknown(rules):
        return
    for i, rule in enumerate(rules):
        backends = as_list(get(rule, "backendRefs"))
        if is_unknown(rule) or is_unknown(backends) or not backends:
            continue  # redirect-only rules send nothing HSTS could protect
        filters = as_list(get(rule, "filters"))
        if is_unknown(filters):
            continue
        ages: list[int] = []
        undecided = False
        for f in filters:
            headers: list[Any] = []
            for section in ("set", "add"):
                h = as_list(get(f, "responseHeaderModifier", section))
                if is_unknown(h):
                    undecided = True
                else:
                    headers += h
            for h in headers:
                name, value = get(h, "name"), get(h, "value")
                if is_unknown(name) or is_unknown(value):
                    undecided = True
                    continue
                age = _header_max_age(name, value)
                if age is not None:
                    ages.append(age)
        if undecided and not ages:
            continue
        if not ages or max(ages) <= 0:
            yield Finding(
                fmt_path(("spec", "rules", i, "filters")),
                "set no Strict-Transport-Security response header with a positive max-age "
                "(ResponseHeaderModifier)",
                urn=route.urn,
            )


def check(resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[Located]:
    configmaps: dict[tuple[str, str], Any] = {}
    unidentified_configmap = False  # its name or namespace is not yet known
    for r in resources:
        if kind(r.resource_type) == "ConfigMap":
            name, ns = get(r.props, "metadata", "name"), namespace_of(r.props)
            if not (isinstance(name, str) and isinstance(ns, str)):
                unidentified_configmap = True
            else:
                data = get(r.props, "data")
                configmaps[(ns, name)] = {} if data is None else data
    routes = [r for r in resources if _gateway_kind(r, "HTTPRoute")]
    for r in resources:
        label = describe(r.resource_type, r.props, r.name)
        t = kube_type(r.resource_type)
        if t is not None and t.kind == "Ingress" and t.group == "networking.k8s.io":
            spec = get(r.props, "spec")
            if r.partial:
                # A patch is judged on what it sets: a tls list it replaces; headers it
                # cannot be shown to drop, so HSTS stays with the full object.
                if isinstance(spec, dict) and spec.get("tls") is not None:
                    yield from ((label, f) for f in _ingress_tls(r, spec))
                continue
            if isinstance(spec, dict):
                yield from ((label, f) for f in _ingress_tls(r, spec))
            yield from ((label, f) for f in _ingress_hsts(r, configmaps, unidentified_configmap))
        elif _gateway_kind(r, "Gateway"):
            yield from ((label, f) for f in _gateway(r, routes))
        elif _gateway_kind(r, "HTTPRoute"):
            yield from ((label, f) for f in _route_hsts(r))


RULE = Rule(
    name="edge-tls-hsts",
    description="Every Ingress and Gateway listener must terminate TLS and the edge must send HSTS.",
    severity=Severity.HIGH,
    remediation_steps="Ingress: add spec.tls covering every host and send Strict-Transport-Security "
    "(max-age>0) through the custom-headers ConfigMap or an annotation. Gateway API: HTTPS "
    "listeners (TLS mode Terminate), plain-HTTP listeners only with redirect-to-https routes, "
    "and a ResponseHeaderModifier setting Strict-Transport-Security on every forwarding rule.",
    frameworks=(nsa("Encrypt traffic in transit (TLS)"), ESTATE),
    stack_check=check,
    tags=("edge", "network"),
)
