"""Guardrail (stack): every namespace holding workloads has a default-deny NetworkPolicy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import describe, pod_view
from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule, StackResource, cis
from ._common import ESTATE, kind, namespace_of, nsa


def is_default_deny(props: Any) -> bool:
    """Selects every pod and allows nothing, for both ingress and egress. Undecidable
    during preview counts as a deny: the benefit of the doubt, never a false violation."""
    spec = get(props, "spec")
    if is_unknown(spec):
        return True
    if not isinstance(spec, dict):
        return False
    selector = spec.get("podSelector")
    if is_unknown(selector):
        return True
    if isinstance(selector, dict):
        for key in ("matchLabels", "matchExpressions"):
            v = selector.get(key)
            if is_unknown(v):
                return True
            if v:
                return False
    elif selector is not None:
        return False
    types = as_list(spec.get("policyTypes"))
    if is_unknown(types) or any(is_unknown(t) for t in types):
        return True
    if not {"Ingress", "Egress"} <= {t for t in types if isinstance(t, str)}:
        return False
    for direction in ("ingress", "egress"):
        rules = spec.get(direction)
        if is_unknown(rules):
            return True
        if rules:
            return False
    return True


def check(resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    denied: set[str] = set()
    for r in resources:
        # A patch proves no deny: it may not set the fields that make one.
        if kind(r.resource_type) == "NetworkPolicy" and not r.partial and is_default_deny(r.props):
            ns = namespace_of(r.props)
            if is_unknown(ns):
                return  # a deny whose namespace is not yet known may cover any namespace
            denied.add(ns)
    for r in resources:
        if r.partial or pod_view(r.resource_type, r.props) is None:
            continue  # a patched workload lives wherever it was created
        ns = namespace_of(r.props)
        if is_unknown(ns) or ns in denied:
            continue
        yield (
            describe(r.resource_type, r.props, r.name),
            Finding(
                "metadata.namespace",
                f"{ns!r} holds workloads but has no default-deny NetworkPolicy "
                "(podSelector: {}, policyTypes: [Ingress, Egress], no rules)",
                urn=r.urn,
            ),
        )


RULE = Rule(
    name="namespace-default-deny",
    description="Every namespace that holds workloads must have a default-deny NetworkPolicy.",
    severity=Severity.HIGH,
    remediation_steps="Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] "
    "and no rules in the namespace, then allow each needed flow explicitly.",
    frameworks=(
        cis("5.3.2 Ensure that all Namespaces have Network Policies defined"),
        nsa("Network policies: default deny"),
        ESTATE,
    ),
    stack_check=check,
    tags=("network",),
)
