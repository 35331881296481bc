"""The platform namespace's objects (kube-state-metrics series, namespace-scoped)."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds


def rules(t: AlertThresholds, namespace: str) -> list[AlertRule]:
    ns = f'namespace="{namespace}"'
    return [
        AlertRule(
            alert="PodRestartingOften",
            expr=(
                f"increase(kube_pod_container_status_restarts_total{{{ns}}}[1h]) > {t.pod_restarts_per_hour}"
            ),
            severity="warning",
            summary="{{ $labels.pod }}/{{ $labels.container }} restarted {{ $value }} times in an hour",
            description=(
                "Container {{ $labels.container }} of pod {{ $labels.pod }} restarted more than "
                f"{t.pod_restarts_per_hour} times in the last hour."
            ),
            runbook="pod-restarting",
        ),
        AlertRule(
            alert="PodCrashLooping",
            expr=(
                f'max_over_time(kube_pod_container_status_waiting_reason{{{ns},reason="CrashLoopBackOff"}}[5m])'
                " >= 1"
            ),
            for_="15m",
            severity="critical",
            summary="{{ $labels.pod }}/{{ $labels.container }} is in CrashLoopBackOff",
            description=(
                "Container {{ $labels.container }} of pod {{ $labels.pod }} has been crash-looping for 15 "
                "minutes."
            ),
            runbook="pod-crash-looping",
        ),
        AlertRule(
            alert="PodDisruptionBudgetViolated",
            expr=(
                f"kube_poddisruptionbudget_status_current_healthy{{{ns}}}"
                f" < kube_poddisruptionbudget_status_desired_healthy{{{ns}}}"
            ),
            for_="15m",
            severity="warning",
            summary="PDB {{ $labels.poddisruptionbudget }} has fewer healthy pods than it requires",
            description=(
                "The budget {{ $labels.poddisruptionbudget }} is violated: a node drain now would cut "
                "capacity."
            ),
            runbook="pdb-violated",
        ),
        AlertRule(
            alert="ResourceQuotaNearLimit",
            expr=(
                f'kube_resourcequota{{{ns},type="used"}}'
                f' / ignoring(type) (kube_resourcequota{{{ns},type="hard"}} > 0) > {t.quota_ratio}'
            ),
            for_="15m",
            severity="warning",
            summary=(
                "Quota {{ $labels.resourcequota }} uses {{ $value | humanizePercentage }} of {{ "
                "$labels.resource }}"
            ),
            description=(
                f"The namespace has used more than {t.quota_ratio:.0%} of its {{{{ $labels.resource }}}} "
                "quota; new pods will be refused."
            ),
            runbook="quota-near-limit",
        ),
    ]
