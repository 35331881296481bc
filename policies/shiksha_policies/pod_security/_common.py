"""Shared plumbing for the Pod Security Standards controls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from ..kube import Container, PodView, pod_view
from ..props import as_list, get, is_unknown
from ..rule import NSA, PSS, Finding, Framework, Subject
from ..shapes import POD_TEMPLATE, Problem, nest, sanitize

PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
# The Standards as Kubernetes 1.37 enforces them (k8s.io/pod-security-admission v0.37.2,
# policy/check_*.go); `pss.version` in the pack config pins an older cluster's rules.
LATEST: tuple[int, int] = (1, 37)
PSS_VERSION = f"v{LATEST[0]}.{LATEST[1]}"
# The key the pack's servicer puts into every policy's config from the `pss` policy's
# `version` property (tests pass it directly).
VERSION_KEY = "pss.version"
VERSION_SCHEMA: dict[str, Any] = {
    "type": "string",
    "default": "latest",
    "pattern": "^(latest|v?1\\.[0-9]{1,2})$",
    "description": "Kubernetes minor version whose Pod Security Standards the pss-* policies "
    "follow (e.g. 1.32 for a 1.32 cluster); 'latest' is " + PSS_VERSION + ".",
}
NSA_POD = Framework(NSA, "Pod security: non-root, immutable, privilege-limited containers", "1.2")

PodCheck = Callable[[PodView], Iterable[Finding]]


def pss_version(config: Mapping[str, Any]) -> tuple[int, int]:
    """(1, 37) from "1.37", "v1.37" or "latest"; anything else is the latest (the schema
    rejects it before it arrives)."""
    raw = config.get(VERSION_KEY)
    return _parse_version(raw) if isinstance(raw, str) else LATEST


@cache
def _parse_version(raw: str) -> tuple[int, int]:
    if raw != "latest":
        major, _, minor = raw.removeprefix("v").partition(".")
        if major == "1" and minor.isdigit() and len(minor) <= 2:
            return (1, min(int(minor), LATEST[1]))
    return LATEST


def pod_input(subject: Subject, version: tuple[int, int] = LATEST) -> tuple[PodView | None, list[Problem]]:
    """The subject's pod with wrong-typed fields dropped, and those fields; computed once
    per resource and shared by every pod rule."""
    hit = subject.cache.get("pod")
    if hit is None:
        view = pod_view(subject.resource_type, subject.props)
        if view is None:
            hit = (None, [])
        else:
            clean, problems = sanitize(
                subject.props, nest(view.template_path, POD_TEMPLATE), view.template_path
            )
            hit = (PodView(view.kind, clean, view.template_path, view.partial), problems)
        subject.cache["pod"] = hit
    pod, problems = hit
    if pod is not None and pod.version != version:
        pod = replace(pod, version=version)
    return pod, problems


def pss(control: str, profile: str) -> Framework:
    return Framework(PSS, f"{profile} / {control} ({PSS_URL})", PSS_VERSION)


def on_pods(
    check: PodCheck, reads: tuple[str, ...] = ()
) -> Callable[[Subject, Mapping[str, Any]], list[Finding]]:
    """Runs a pod check on every pod-bearing kind and its Patch type; other resources are
    not judged. `reads` names the fields the check reads (paths below the pod template,
    "spec.container.*" for all three container lists): a wrong-typed one is reported.
    Without `reads` the check still sees only well-typed fields, but reports none."""

    def run(subject: Subject, config: Mapping[str, Any]) -> list[Finding]:
        # The pod, its wrong-typed fields and its opt-out note, once per resource and
        # version for every pod rule (23 of them judge each workload).
        raw = config.get(VERSION_KEY)
        key = ("on_pods", raw if isinstance(raw, str) else None)
        hit = subject.cache.get(key)
        if hit is None:
            pod, problems = pod_input(subject, pss_version(config))
            hit = (pod, problems, pod.opt_out_note() if pod is not None else "")
            subject.cache[key] = hit
        pod, problems, note = hit
        if pod is None:
            return []
        findings = (
            [Finding(p.path, p.found, expected=p.expected) for p in problems if p.relevant_to(reads)]
            if problems
            else []
        )
        findings += check(pod)
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
    return value is not None and not is_unknown(value) and value not in tuple(allowed)


def in_user_namespace(pod: PodView) -> bool:
    """hostUsers: false (or not yet known, so possibly false); from 1.35 the Standards relax
    runAsNonRoot, runAsUser and the Baseline procMount control for such pods
    (policy/helpers.go relaxPolicyForUserNamespacePod)."""
    if pod.version < (1, 35):
        return False
    host_users = get(pod.spec, "hostUsers")
    return host_users is False or is_unknown(host_users)


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
