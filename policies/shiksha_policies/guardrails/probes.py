"""Guardrail: readiness and liveness probes on long-running workloads."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..kube import PodView, is_pod_type
from ..pod_security._common import on_pods
from ..props import get, is_unknown
from ..rule import Finding, Rule
from ._common import ANNOTATION_PROBES_OPT_OUT, ESTATE

# Jobs and CronJobs run to completion; probes there would only restart finished work.
RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})


def _opt_out_note(pod: PodView) -> str:
    """A declared opt-out is shown with the finding, which it does not silence."""
    annotations = pod.annotations
    reason = annotations.get(ANNOTATION_PROBES_OPT_OUT) if isinstance(annotations, dict) else None
    if isinstance(reason, str) and reason:
        return f' (declared opt-out "{ANNOTATION_PROBES_OPT_OUT}: {reason}" noted; still flagged)'
    return ""


def check(pod: PodView) -> Iterator[Finding]:
    if pod.kind in RUN_TO_COMPLETION or pod.partial:  # a patch leaves unset probes as they are
        return
    policy = get(pod.spec, "restartPolicy")
    if is_unknown(policy) or policy in ("Never", "OnFailure"):
        return
    note = _opt_out_note(pod)
    for c in pod.containers():
        if c.list_name != "containers":
            continue  # init and ephemeral containers do not take readiness probes
        for probe in ("readinessProbe", "livenessProbe"):
            if c.body.get(probe) is None:
                yield Finding(c.at(probe), f"is unset; long-running containers need one{note}", c.name)


RULE = Rule(
    name="workload-probes",
    description="Long-running containers must have readiness and liveness probes.",
    severity=Severity.LOW,
    remediation_steps="Add readinessProbe and livenessProbe (httpGet on the health endpoint, "
    "or tcpSocket/exec) to every app container; add a startupProbe for slow starters.",
    frameworks=(ESTATE,),
    check=on_pods(
        check, ("spec.container.readinessProbe", "spec.container.livenessProbe", "spec.restartPolicy")
    ),
    applies_to=is_pod_type,
    tags=("workload", "availability"),
)
