"""Guardrail: ServiceAccount token automount off unless declared.

A stack policy because a pod's effective setting depends on its ServiceAccount: the pod
field wins when set, otherwise the ServiceAccount's field, otherwise the token is mounted.
Declaring the need is the annotation ``shiksha.io/automount-token-reason: <text>`` on the
ServiceAccount or on the pod template.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..kube import describe, fmt_path, pod_view
from ..pod_security._common import show
from ..props import get, is_unknown
from ..rule import Finding, Rule, StackResource, cis
from ._common import ANNOTATION_TOKEN_REASON, ESTATE, kind, namespace_of, nsa


def _declared(annotations: Any) -> bool:
    """True when the reason annotation is present, or when it might be (unknown values)."""
    if is_unknown(annotations):
        return True
    reason = annotations.get(ANNOTATION_TOKEN_REASON) if isinstance(annotations, dict) else None
    return is_unknown(reason) or (isinstance(reason, str) and bool(reason.strip()))


def check(resources: list[StackResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, Finding]]:
    accounts: dict[tuple[str, str], StackResource] = {}
    unidentified_account = False  # one whose name or namespace is not yet known
    for r in resources:
        if kind(r.resource_type) == "ServiceAccount" and not r.partial:
            name = get(r.props, "metadata", "name")
            ns = namespace_of(r.props)
            if isinstance(name, str) and isinstance(ns, str):
                accounts[(ns, name)] = r
            else:
                unidentified_account = True
    pods = []
    declared_accounts: set[tuple[str, str]] = set()
    declared_by_unknown = False  # a declaring pod whose namespace or account is not yet known
    for r in resources:
        pod = pod_view(r.resource_type, r.props)
        if pod is None:
            continue
        if not isinstance(pod.spec, dict):
            declared_by_unknown = declared_by_unknown or is_unknown(pod.spec)
            continue
        sa_name = pod.spec.get("serviceAccountName")
        sa_name = "default" if sa_name is None or sa_name == "" else sa_name
        ns = namespace_of(r.props)
        if _declared(pod.annotations):
            # The pod template's reason also declares the need of the account it runs as.
            if isinstance(sa_name, str) and isinstance(ns, str):
                declared_accounts.add((ns, sa_name))
            else:
                declared_by_unknown = True
            continue
        if r.partial:
            # Judged on what it sets: only an explicit automount without a reason.
            if pod.spec.get("automountServiceAccountToken") is True:
                pods.append((r, pod, sa_name, ns))
            continue
        pods.append((r, pod, sa_name, ns))

    for key, sa in accounts.items():
        if (
            _declared(get(sa.props, "metadata", "annotations"))
            or key in declared_accounts
            or declared_by_unknown
        ):
            continue
        v = sa.props.get("automountServiceAccountToken")
        if not is_unknown(v) and v is not False:
            yield (
                describe(sa.resource_type, sa.props, sa.name),
                Finding(
                    "automountServiceAccountToken",
                    f"is {show(v) if v is not None else 'unset (defaults to true)'}; must be false unless "
                    f"annotated {ANNOTATION_TOKEN_REASON} (on it or on a pod template using it)",
                    urn=sa.urn,
                ),
            )

    for r, pod, sa_name, ns in pods:
        v = pod.spec.get("automountServiceAccountToken")
        if v is False or is_unknown(v):
            continue
        label = describe(r.resource_type, r.props, r.name)
        path = pod.path("automountServiceAccountToken")
        if v is True:
            yield (
                label,
                Finding(
                    path,
                    f"is true without a {ANNOTATION_TOKEN_REASON} annotation on "
                    f"{fmt_path(pod.annotations_path)}",
                    urn=r.urn,
                ),
            )
            continue
        if is_unknown(sa_name) or is_unknown(ns):
            continue
        account = accounts.get((ns, sa_name))
        if account is None and unidentified_account:
            continue
        if account is None:
            yield (
                label,
                Finding(
                    path,
                    f"is unset and ServiceAccount {ns}/{sa_name} is not in this stack, so the token "
                    "is mounted; set it to false",
                    urn=r.urn,
                ),
            )
            continue
        sa_value = account.props.get("automountServiceAccountToken")
        if (
            sa_value is False
            or is_unknown(sa_value)
            or _declared(get(account.props, "metadata", "annotations"))
        ):
            continue
        yield (
            label,
            Finding(
                path,
                f"is unset and ServiceAccount {ns}/{sa_name} does not disable automount, so the token "
                "is mounted; set it to false",
                urn=r.urn,
            ),
        )


RULE = Rule(
    name="workload-service-account-token",
    description="ServiceAccount tokens must not be automounted unless the need is declared.",
    severity=Severity.MEDIUM,
    remediation_steps="Set automountServiceAccountToken: false on the ServiceAccount and/or pod "
    f"spec; if the workload calls the API, annotate it {ANNOTATION_TOKEN_REASON}: <why>.",
    frameworks=(
        cis("5.1.6 Ensure that Service Account Tokens are only mounted where necessary"),
        nsa("Protecting Pod service account tokens"),
        ESTATE,
    ),
    stack_check=check,
    tags=("workload", "identity"),
)
