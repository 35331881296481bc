"""PSS baseline: AppArmor (the appArmorProfile field and the legacy annotation)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, fmt_path, is_pod_type
from ..props import get, is_unknown
from ..rule import Finding, Rule
from ._common import NSA_POD, is_bad, on_pods, pss

ALLOWED_TYPES = ("RuntimeDefault", "Localhost")
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _annotation_ok(value: str) -> bool:
    return value in ("", "runtime/default") or value.startswith("localhost/")


def check(pod: PodView) -> Iterator[Finding]:
    t = get(pod.spec, "securityContext", "appArmorProfile", "type")
    if is_bad(t, ALLOWED_TYPES):
        yield Finding(
            pod.path("securityContext", "appArmorProfile", "type"),
            f"is {t!r}; must be unset, RuntimeDefault or Localhost",
        )
    for c in pod.containers():
        ct = get(c.body, "securityContext", "appArmorProfile", "type")
        if is_bad(ct, ALLOWED_TYPES):
            yield Finding(
                c.sc_path("appArmorProfile", "type"),
                f"is {ct!r}; must be unset, RuntimeDefault or Localhost",
                c.name,
            )
    ann = pod.annotations
    if is_unknown(ann):
        return
    for key, value in ann.items():
        if key.startswith(ANNOTATION_PREFIX) and isinstance(value, str) and not _annotation_ok(value):
            yield Finding(
                fmt_path((*pod.annotations_path, key)),
                f"is {value!r}; must be unset, 'runtime/default' or 'localhost/*'",
                key[len(ANNOTATION_PREFIX) :],
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = (
    "spec.securityContext.appArmorProfile.type",
    "spec.container.securityContext.appArmorProfile.type",
    "metadata.annotations",
)

RULE = Rule(
    name="pss-baseline-apparmor",
    description="AppArmor must not be disabled or overridden beyond RuntimeDefault/Localhost profiles.",
    severity=Severity.HIGH,
    remediation_steps="Remove appArmorProfile (or use type RuntimeDefault / Localhost) and drop "
    "any container.apparmor.security.beta.kubernetes.io/* annotation that is not "
    "'runtime/default' or 'localhost/<profile>'.",
    frameworks=(pss("AppArmor", "Baseline"), NSA_POD),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    tags=("pss", "baseline"),
)
