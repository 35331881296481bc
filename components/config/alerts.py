"""The alerting-rule model and its thresholds: what every group of rules is built from,
the datastores' included (their behaviour imports this, not the monitoring model, whose
exporter switches come from the datastores' settings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictInt, model_validator

from .base import StrictModel
from .promql import check_alert_expr
from .types import Duration, PositiveInt32, PromLabelName, fullmatch

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")


class AlertRule(StrictModel):
    """One alerting rule. `runbook` is the page under runbookBaseUrl; every alert has one."""

    alert: PromLabelName = Field(
        examples=["NotifierDeliveryFailing"],
        description="the alert's name (a Prometheus label name), as Alertmanager and the runbook show it",
    )
    # Parsed as Prometheus parses it: a bad expression would make it refuse the whole rule file.
    expr: Annotated[str, AfterValidator(check_alert_expr)] = Field(
        examples=["sum(rate(notifier_delivery_failures_total[5m])) > 0.1"],
        description=(
            "the PromQL expression (parsed as Prometheus 2.54 parses it); the alert fires for each "
            "series it returns"
        ),
        min_length=1,
    )
    for_: Duration | None = Field(
        examples=["10m"],
        description="how long the expression must hold before the alert fires; null: at once",
        default=None,
        alias="for",
    )
    severity: Severity = Field(
        examples=["warning"],
        description="the `severity` label, which routes the alert (monitoring.alertmanager.routes)",
    )
    summary: str = Field(
        examples=["Notifications are failing"], description="the one-line `summary` annotation", min_length=1
    )
    description: str = Field(
        examples=["More than one delivery in ten failed over 10 minutes."],
        description="the `description` annotation",
        min_length=1,
    )
    runbook: Annotated[
        str, fullmatch(r"[a-z0-9][a-z0-9/_-]*", "a runbook page: lower-case letters, digits, /_-", 256)
    ] = Field(
        examples=["notifier/delivery-failing"],
        description="the page under monitoring.alerts.runbookBaseUrl, set as the `runbook_url` annotation",
    )
    labels: dict[PromLabelName, str] = Field(
        examples=[{"team": "platform"}],
        description="extra labels of the alert (not `severity`)",
        default_factory=dict,
    )

    @model_validator(mode="after")
    def _labels(self) -> AlertRule:
        if "severity" in self.labels:
            raise ValueError("set `severity`, not labels.severity")
        return self


class AlertThresholds(StrictModel):
    api_error_ratio: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description=(
            "APIHighErrorRatio fires when more than this share of API requests "
            "answer 5xx (prometheus-rules api group)"
        ),
    )
    api_p95_latency_seconds: float = Field(
        default=1.0,
        gt=0,
        description=(
            "APIHighLatencyP95 fires when the API's 95th-percentile request latency exceeds this many seconds"
        ),
    )
    task_queue_depth: PositiveInt32 = Field(
        1000, description=("HighTaskQueueDepth fires when a Celery queue holds more than this many tasks")
    )
    connection_saturation_ratio: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description=(
            "the datastores' connection-saturation alerts fire above this share "
            "of a datastore's connection limit in use"
        ),
    )
    memory_saturation_ratio: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description=(
            "the database's memory alert fires when its primary uses more than "
            "this share of its container memory limit"
        ),
    )
    vllm_p95_latency_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "VLLMHighLatencyP95 fires when vLLM's 95th-percentile request latency exceeds this many seconds"
        ),
    )
    vllm_queue_depth: PositiveInt32 = Field(
        20, description=("VLLMQueueBacklog fires when more than this many requests wait for a vLLM slot")
    )
    vllm_gpu_cache_ratio: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="VLLMGPUCacheFull fires when vLLM's GPU KV-cache use exceeds this share",
    )
    pod_restarts_per_hour: PositiveInt32 = Field(
        3,
        description=(
            "PodRestartingOften fires when a container restarts more than this many times in an hour"
        ),
    )
    quota_ratio: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description=("ResourceQuotaNearLimit fires when the namespace uses more than this share of a quota"),
    )
    certificate_expiry_days: Annotated[StrictInt, Field(ge=1, le=3650)] = Field(
        14,
        description=(
            "TLSCertificateExpiringSoon fires when the edge certificate expires within this many days"
        ),
    )
