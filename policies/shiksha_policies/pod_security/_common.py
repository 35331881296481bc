"""Shared plumbing for the Pod Security Standards controls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..kube import Container, PodView, pod_view
from ..props import as_list, get, is_unknown
from ..rule import CIS, NSA, PSS, Finding, Framework, Subject

PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
PSS_VERSION = "v1.34"
NSA_POD = Framework(NSA, "Pod security: non-root, immutable, privilege-limited containers", "1.2")

PodCheck = Callable[[PodView], Iterable[Finding]]


def pss(control: str, profile: str) -> Framework:
    return Framework(PSS, f"{profile} / {control} ({PSS_URL})", PSS_VERSION)


def cis(item: str) -> Framework:
    return Framework(CIS, item, "1.9")


def on_pods(check: PodCheck) -> Callable[[Subject, Mapping[str, Any]], list[Finding]]:
    """Runs a pod check on every pod-bearing kind; other resources are not judged."""

    def run(subject: Subject, _config: Mapping[str, Any]) -> list[Finding]:
        pod = pod_view(subject.resource_type, subject.props)
        if pod is None:
            return []
        findings = list(check(pod))
        note = pod.opt_out_note()
        if note and findings:
            findings = [Finding(f.path, f.problem + note, f.container) for f in findings]
        return findings

    return run


def show(value: Any) -> str:
    """A field value as a manifest would spell it."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def is_bad(value: Any, allowed: Iterable[Any]) -> bool:
    """True only for a known, set value outside the allowed ones."""
    return value is not None and not is_unknown(value) and value not in set(allowed)


def added_capabilities_outside(
    container: Container, allowed: frozenset[str], rule_text: str
) -> Iterator[Finding]:
    """A finding per entry of capabilities.add not in `allowed` (unknowns are not judged)."""
    added = as_list(get(container.body, "securityContext", "capabilities", "add"))
    if is_unknown(added):
        return
    assert isinstance(added, list)
    for i, cap in enumerate(added):
        if isinstance(cap, str) and cap not in allowed:
            yield Finding(
                container.at("securityContext", "capabilities", "add", i),
                f"adds {cap!r}; {rule_text}",
                container.name,
            )
