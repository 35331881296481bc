"""PSS restricted: Running as Non-root (runAsNonRoot true, pod default or per container)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..kube import PodView, is_pod_type
from ..props import get, is_unknown
from ..remediations import run_as_non_root
from ..rule import Finding, Rule, cis
from ._common import NSA_POD, in_user_namespace, on_pods, pss, show


def check(pod: PodView) -> Iterator[Finding]:
    if in_user_namespace(pod):
        return  # 1.35+: a user-namespace pod's root is not the host's
    pod_value = get(pod.spec, "securityContext", "runAsNonRoot")
    if pod_value is False:
        yield Finding(pod.path("securityContext", "runAsNonRoot"), "is false; must be true")
    for c in pod.containers():
        own = get(c.body, "securityContext", "runAsNonRoot")
        if is_unknown(own) or own is True or (own is None and pod.partial):
            continue  # (a patch that does not set the field leaves it as it is)
        if own is False:
            yield Finding(c.sc_path("runAsNonRoot"), "is false; must be true", c.name)
        elif pod_value is None:
            yield Finding(
                c.sc_path("runAsNonRoot"),
                f"is unset and so is {pod.path('securityContext', 'runAsNonRoot')}; one of them must be true",
                c.name,
            )
        elif not is_unknown(pod_value) and pod_value is not True:
            yield Finding(
                c.sc_path("runAsNonRoot"),
                f"is {show(own)} and the pod default is {show(pod_value)}; must be true",
                c.name,
            )


# The fields this control reads (a wrong-typed one is reported, see shapes.py).
READS = ("spec.securityContext.runAsNonRoot", "spec.container.securityContext.runAsNonRoot", "spec.hostUsers")

RULE = Rule(
    name="pss-restricted-run-as-non-root",
    description="Containers must run as non-root (runAsNonRoot: true).",
    severity=Severity.HIGH,
    remediation_steps="Set spec.securityContext.runAsNonRoot: true on the pod (containers "
    "inherit it) and remove any container-level runAsNonRoot: false; build the image with a "
    "numeric non-root USER (remediation available).",
    frameworks=(
        pss("Running as Non-root", "Restricted"),
        cis("5.2.7 Minimize the admission of root containers"),
        NSA_POD,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=on_pods(check, READS),
    applies_to=is_pod_type,
    remediate=run_as_non_root,
    tags=("pss", "restricted"),
)
