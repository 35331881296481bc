"""Alert rules as data: one module per alert group, each a list of typed AlertRule.

The built-in rules go through the same AlertRule model as a stack's extra rules, so a
severity outside critical/warning/info or a missing runbook cannot reach a rule file.
"""

from __future__ import annotations

from collections.abc import Callable

from components.config.monitoring import ALERT_GROUPS, AlertRule, AlertThresholds, MonitoringSpec

from . import api, datastores, kubernetes, ml_pipeline, probes, task_queue, workers

GroupBuilder = Callable[[AlertThresholds, str], list[AlertRule]]

BUILTIN: dict[str, GroupBuilder] = {
    "api": api.rules,
    "task-queue": task_queue.rules,
    "workers": workers.rules,
    "datastores": datastores.rules,
    "ml-pipeline": ml_pipeline.rules,
    "kubernetes": kubernetes.rules,
    "probes": probes.rules,
}
assert tuple(BUILTIN) == ALERT_GROUPS


def alert_groups(spec: MonitoringSpec, namespace: str) -> dict[str, list[AlertRule]]:
    """Group name -> its rules: the enabled built-in groups, then the stack's extra groups."""
    groups = {
        name: build(spec.alerts.thresholds, namespace)
        for name, build in BUILTIN.items()
        if name not in spec.alerts.disabled_groups
    }
    groups.update({name: list(rules) for name, rules in spec.alerts.extra_groups.items()})
    return groups
