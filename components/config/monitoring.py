"""Monitoring: scrape jobs, blackbox probes, alert rules, Alertmanager routing, storage.

Every default is the production value. The renderers in components/render/ turn this
tree into prometheus.yml, rule files, alertmanager.yml and blackbox.yml; nothing else
decides what those files say.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from components.datastores import settings as datastores

from .alerts import AlertRule, AlertThresholds, Severity
from .base import StrictModel, added_to, fold_additions, taken_from
from .images import PinnedImage
from .types import (
    Dns1035Label,
    DnsLabel,
    DnsSubdomain,
    Duration,
    MemoryQuantity,
    Port,
    PortName,
    PromLabelName,
    Re2Regex,
    TimeZone,
    UrlPath,
    duration_seconds,
    fullmatch,
    memory_bytes,
)

# The workloads MonitoringStack deploys next to the estate's own, and their scrape jobs'
# names: a workload or a job of the stack may not take one of these names.
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
BLACKBOX = "blackbox-exporter"
# Field of monitoring.exporters -> (workload, port name, port, workload it reads).
EXPORTERS: dict[str, tuple[str, str, int, str | None]] = {
    **datastores.exporter_table(),
    "kube_state_metrics": ("kube-state-metrics", "metrics", 8080, None),
}
MONITORING_WORKLOADS = (PROMETHEUS, ALERTMANAGER, BLACKBOX, *(e[0] for e in EXPORTERS.values()))
# Jobs prometheus.yml always has besides monitoring.jobs (the node and blackbox jobs).
BUILT_IN_JOBS = (*MONITORING_WORKLOADS, "nodes", "cadvisor", "blackbox")


# An absolute http(s) URL of RFC 3986 characters only: no spaces, quotes, braces, control
# or non-ASCII characters, so it is the same text in YAML, in a Go template (where `{{`
# would run code) and on the wire. Percent signs only as %XX escapes.
_HTTP_URL = re.compile(
    r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r"(:(?P<port>[0-9]{1,5}))?"
    r"([/?#]([A-Za-z0-9._~:/?#@!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)?",
    re.ASCII,
)
HTTP_URL_MAX = 2048


def _check_http_url(value: str) -> str:
    match = _HTTP_URL.fullmatch(value)
    if not match or len(value) > HTTP_URL_MAX:
        raise ValueError(
            f"expected an absolute http:// or https:// URL of at most {HTTP_URL_MAX} characters, "
            "without spaces, double quotes, braces or non-ASCII characters (percent-encode them)"
        )
    if match.group("port") is not None and not 1 <= int(match.group("port")) <= 65535:
        raise ValueError(f"port {match.group('port')} is not a TCP port (1-65535)")
    return value


def _check_clock(value: str) -> str:
    match = re.fullmatch(r"([0-9]{2}):([0-9]{2})", value, re.ASCII)
    if not match:
        raise ValueError("expected a time of day as HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    # Alertmanager accepts 24:00 as the end of the day, and nothing later.
    if hours > 24 or minutes > 59 or (hours == 24 and minutes != 0):
        raise ValueError("expected a time of day between 00:00 and 24:00")
    return value


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
ClockTime = Annotated[str, AfterValidator(_check_clock)]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class ScrapeJob(StrictModel):
    """Pods behind a platform workload's Service port, found by Kubernetes discovery."""

    workload: Dns1035Label = Field(
        description=(
            "the workload whose pods Prometheus scrapes (Kubernetes discovery of "
            "its Service endpoints; the NetworkPolicy admits Prometheus to the "
            "port)"
        ),
        examples=["notifier"],
    )
    port: PortName = Field(description="name of one of the workload's ports", examples=["metrics"])
    path: UrlPath = Field(
        "/metrics", description="the HTTP path scraped (the job's metrics_path in prometheus.yml)"
    )
    interval: Duration = Field("30s", description="the job's scrape_interval in prometheus.yml")
    timeout: Duration | None = Field(
        None,
        description=("the job's scrape_timeout; unset: prometheus.scrapeTimeout, capped at the interval"),
        examples=["10s"],
    )

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> ScrapeJob:
        if self.timeout is not None and duration_seconds(self.timeout) > duration_seconds(self.interval):
            raise ValueError(f"timeout {self.timeout} exceeds interval {self.interval}")
        return self


class NodeScrape(StrictModel):
    """The kubelets' own metrics; needs the one cluster-wide grant (nodes, nodes/metrics)."""

    enabled: bool = Field(
        True,
        description=(
            "whether Prometheus scrapes the kubelets (the kubelet job, its "
            "cluster-wide nodes/metrics grant and the egress to network.nodes)"
        ),
    )
    interval: Duration = Field("30s", description="the kubelet job's scrape_interval")
    kubelet_port: Port = Field(
        10250,
        description=("the kubelet port scraped, and opened in Prometheus's egress to network.nodes.cidrs"),
    )


BlackboxModuleName = Annotated[
    str, fullmatch(r"[A-Za-z0-9_]+", "a module name: letters, digits and '_'", 128)
]


class BlackboxModule(StrictModel):
    timeout: Duration = Field("5s", description="the blackbox module's probe timeout (blackbox.yml)")
    method: Literal["GET", "HEAD"] = Field("GET", description="the HTTP method the module's probe sends")
    valid_status_codes: list[Annotated[int, Field(strict=True, ge=100, le=599)]] = Field(
        default_factory=list, description="empty means any 2xx", examples=[[200, 204]]
    )
    fail_if_not_ssl: bool = Field(False, description="true: the probe fails unless the answer came over TLS")
    preferred_ip_protocol: Literal["ip4", "ip6"] = Field(
        "ip4", description="the IP version the probe resolves the target to first"
    )


class ProbeTarget(StrictModel):
    url: HttpUrl = Field(
        description=("the URL the blackbox exporter probes (a target of the blackbox job in prometheus.yml)"),
        examples=["http://notifier:8080/health"],
    )
    module: BlackboxModuleName = Field(
        description="the blackbox module (under monitoring.blackbox.modules) the probe uses",
        examples=["http_2xx"],
    )


class BlackboxSpec(StrictModel):
    interval: Duration = Field(
        "30s", description="the blackbox job's scrape_interval: how often every target is probed"
    )
    modules: dict[BlackboxModuleName, BlackboxModule] = Field(
        default_factory=lambda: {
            "http_2xx": BlackboxModule(),
            "https_2xx": BlackboxModule(fail_if_not_ssl=True),
        },
        description=(
            "module name -> how a probe is made, written to blackbox.yml; merged "
            "over the defaults, null removes one"
        ),
    )
    # The public site through the edge (also what TLS expiry is measured on), and the
    # in-cluster health endpoints the workloads' own probes use.
    targets: dict[DnsLabel, ProbeTarget] = Field(
        default_factory=lambda: {
            "public-site": ProbeTarget(url="https://shikshasetu.example.org/", module="https_2xx"),
            "public-api-health": ProbeTarget(
                url="https://shikshasetu.example.org/api/health", module="https_2xx"
            ),
            "api-ready": ProbeTarget(url="http://api:8000/health/ready", module="http_2xx"),
            "frontend": ProbeTarget(url="http://frontend:3000/", module="http_2xx"),
            "vllm-health": ProbeTarget(url="http://vllm:8000/health", module="http_2xx"),
        },
        description=(
            "target name -> the URL and module probed; merged over the defaults, "
            "null removes one; empty: no blackbox exporter"
        ),
    )


ALERT_GROUPS = ("api", "task-queue", "workers", "datastores", "ml-pipeline", "kubernetes", "probes")


class AlertsSpec(StrictModel):
    runbook_base_url: HttpUrl = Field(
        "https://runbooks.shikshasetu.example.org/alerts",
        description=(
            "the base URL of every alert's runbook_url annotation, also linked in "
            "Alertmanager's notification template"
        ),
    )
    thresholds: AlertThresholds = Field(
        AlertThresholds(), description="the numbers the built-in alert rules compare against"
    )
    disabled_groups: list[
        Literal["api", "task-queue", "workers", "datastores", "ml-pipeline", "kubernetes", "probes"]
    ] = Field(
        examples=[["ml-pipeline"]],
        default_factory=list,
        description=("built-in alert groups whose rule files are not rendered (prometheus-rules)"),
    )
    # Stack-specific rules, rendered as their own rule files next to the built-in groups.
    extra_groups: dict[DnsLabel, list[AlertRule]] = Field(
        examples=[
            {
                "notifier": [
                    {
                        "alert": "NotifierDown",
                        "expr": 'up{job="notifier"} == 0',
                        "for": "5m",
                        "severity": "critical",
                        "summary": "The notifier is down",
                        "description": "No notifier pod answered a scrape for 5 minutes.",
                        "runbook": "notifier/down",
                    }
                ]
            }
        ],
        default_factory=dict,
        description=(
            "group name -> stack-specific alert rules, rendered as their own "
            "prometheus-rules file beside the built-in groups"
        ),
    )

    @model_validator(mode="after")
    def _no_clash(self) -> AlertsSpec:
        for name in self.extra_groups:
            if name in ALERT_GROUPS:
                raise ValueError(f"extraGroups.{name}: clashes with a built-in alert group")
        return self


_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _check_weekday_range(value: str) -> str:
    match = re.fullmatch(rf"{_WEEKDAY}(?::{_WEEKDAY})?", value)
    if not match:
        raise ValueError("expected a weekday or a range such as monday:friday")
    first, last = match.group(1), match.group(2) or match.group(1)
    if _WEEKDAYS.index(first) > _WEEKDAYS.index(last):
        raise ValueError(f"range {value} ends before it starts")
    return value


class TimeRange(StrictModel):
    start_time: ClockTime = Field(
        description=("the start of a daily muted time range (HH:MM, in the interval's location)"),
        examples=["02:00"],
    )
    end_time: ClockTime = Field(
        description="the end of that range (HH:MM, 24:00 allowed)", examples=["04:00"]
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if _minutes(self.start_time) >= _minutes(self.end_time):
            raise ValueError(
                f"startTime {self.start_time} is not before endTime {self.end_time}; "
                "a window across midnight is two ranges (…-24:00 and 00:00-…)"
            )
        return self


class TimeInterval(StrictModel):
    times: list[TimeRange] = Field(
        default_factory=list,
        description=(
            "the daily time ranges of the mute interval (Alertmanager time_intervals times); empty: all day"
        ),
        examples=[[{"startTime": "02:00", "endTime": "04:00"}]],
    )
    weekdays: list[Annotated[str, AfterValidator(_check_weekday_range)]] = Field(
        default_factory=list,
        description=("the weekdays (or ranges such as monday:friday) the interval covers; empty: every day"),
        examples=[["monday:friday"]],
    )
    location: TimeZone = Field("Asia/Kolkata", description="the time zone the times are read in")


class PagerDutyReceiver(StrictModel):
    """The routing key is the `pagerdutyRoutingKey` secret, mounted as a file."""

    severity: Severity = Field("critical", description="the PagerDuty event severity Alertmanager sends")
    send_resolved: bool = Field(
        True, description="whether Alertmanager tells PagerDuty when the alert resolves"
    )


class WebhookReceiver(StrictModel):
    url: HttpUrl = Field(
        description=(
            "the URL Alertmanager POSTs the alerts to (an in-cluster URL also needs"
            " a network.rules entry from alertmanager)"
        ),
        examples=["http://chatops-relay:8080/alertmanager/warnings"],
    )
    send_resolved: bool = Field(True, description="whether Alertmanager also POSTs when the alert resolves")


class Receiver(StrictModel):
    """A receiver with neither integration delivers nowhere: the alert shows in the UI only."""

    pagerduty: PagerDutyReceiver | None = Field(
        None,
        description=("deliver to PagerDuty (routing key: the secret pagerdutyRoutingKey, mounted as a file)"),
        examples=[{"severity": "critical"}],
    )
    webhook: WebhookReceiver | None = Field(
        None,
        description="deliver to a webhook",
        examples=[{"url": "http://chatops-relay:8080/alertmanager/warnings"}],
    )


class Route(StrictModel):
    severity: Severity = Field(
        description="the alerts' severity label this Alertmanager route matches", examples=["warning"]
    )
    receiver: DnsLabel = Field(
        description="the receiver (under alertmanager.receivers) the matched alerts go to",
        examples=["platform-warnings"],
    )
    mute_intervals: list[DnsLabel] = Field(
        default_factory=list,
        description=(
            "mute intervals (under alertmanager.muteIntervals) during which the route sends nothing"
        ),
        examples=[["maintenance"]],
    )
    group_wait: Duration | None = Field(
        None, description="the route's group_wait instead of alertmanager.groupWait", examples=["10s"]
    )
    repeat_interval: Duration | None = Field(
        None,
        description="the route's repeat_interval instead of alertmanager.repeatInterval",
        examples=["1h"],
    )


class InhibitRule(StrictModel):
    source_severity: Severity = Field("critical", description="while an alert of this severity fires...")
    target_severity: Severity = Field("warning", description="...alerts of this severity are suppressed...")
    equal: list[PromLabelName] = Field(
        default_factory=lambda: ["alertname", "namespace"],
        description=("...when these labels are equal on both (alertmanager.yml inhibit_rules)"),
    )

    @model_validator(mode="after")
    def _not_itself(self) -> InhibitRule:
        if self.source_severity == self.target_severity:
            raise ValueError("an alert severity cannot inhibit itself")
        return self


class AlertmanagerSpec(StrictModel):
    group_by: list[PromLabelName] = Field(
        default_factory=lambda: ["alertname", "namespace", "severity"],
        description=("the labels alertmanager.yml's root route groups alerts by into one notification"),
    )
    group_wait: Duration = Field(
        "30s", description="how long Alertmanager waits to gather a new group's first notification"
    )
    group_interval: Duration = Field(
        "5m", description=("how long Alertmanager waits before notifying about alerts added to a group")
    )
    repeat_interval: Duration = Field(
        "4h", description="how long before a still-firing alert is notified again"
    )
    default_receiver: DnsLabel = Field(
        "platform-warnings", description="the root route's receiver: alerts no route matches go there"
    )
    receivers: dict[DnsLabel, Receiver] = Field(
        default_factory=lambda: {
            "pagerduty-critical": Receiver(pagerduty=PagerDutyReceiver()),
            "platform-warnings": Receiver(
                webhook=WebhookReceiver(url="http://chatops-relay:8080/alertmanager/warnings")
            ),
            "info-log": Receiver(),
        },
        description=(
            "receiver name -> where notifications go (alertmanager.yml receivers); "
            "merged over the defaults, null removes one"
        ),
    )
    routes: list[Route] = Field(
        default_factory=lambda: [
            Route(severity="critical", receiver="pagerduty-critical", group_wait="10s", repeat_interval="1h"),
            Route(severity="warning", receiver="platform-warnings", mute_intervals=["maintenance"]),
            Route(
                severity="info", receiver="info-log", mute_intervals=["maintenance"], repeat_interval="24h"
            ),
        ],
        description=(
            "the child routes by severity, in order (the first match wins); a "
            "restated list replaces the defaults"
        ),
    )
    inhibit_rules: list[InhibitRule] = Field(
        default_factory=lambda: [InhibitRule()],
        description=(
            "alertmanager.yml inhibit_rules: which firing alerts silence which "
            "others; a restated list replaces"
        ),
    )
    # The weekly maintenance window (Sunday 02:00-04:00 IST): warnings and info are muted,
    # critical alerts still page.
    mute_intervals: dict[DnsLabel, list[TimeInterval]] = Field(
        default_factory=lambda: {
            "maintenance": [
                TimeInterval(times=[TimeRange(start_time="02:00", end_time="04:00")], weekdays=["sunday"])
            ]
        },
        description=(
            "name -> time intervals routes can mute by (alertmanager.yml "
            "time_intervals); merged over the defaults, null removes one"
        ),
    )

    @property
    def pagerduty_enabled(self) -> bool:
        used = {route.receiver for route in self.routes} | {self.default_receiver}
        return any(
            receiver.pagerduty is not None for name, receiver in self.receivers.items() if name in used
        )


class PrometheusSpec(StrictModel):
    scrape_interval: Duration = Field(
        "30s", description="prometheus.yml global scrape_interval (jobs without their own)"
    )
    scrape_timeout: Duration = Field("10s", description="prometheus.yml global scrape_timeout")
    evaluation_interval: Duration = Field(
        "30s", description=("how often Prometheus evaluates the alert rules (global evaluation_interval)")
    )
    retention: Duration = Field(
        "15d", description="how long Prometheus keeps samples (--storage.tsdb.retention.time)"
    )
    # Retention by size keeps the TSDB below its volume: Prometheus cannot compact on a full disk.
    retention_size: Annotated[
        str, fullmatch(r"[1-9][0-9]{0,15}(B|KB|MB|GB|TB|PB)", "a size such as 40GB (B, KB, MB, GB, TB, PB)")
    ] = Field(
        "40GB",
        description=(
            "the TSDB size at which Prometheus drops the oldest blocks "
            "(--storage.tsdb.retention.size); below storageSize"
        ),
    )
    storage_size: MemoryQuantity = Field("50Gi", description="the size of Prometheus's PersistentVolumeClaim")
    storage_class: DnsSubdomain | None = Field(
        None,
        description="the storageClassName of that claim; unset: the cluster default",
        examples=["fast-ssd"],
    )

    @model_validator(mode="after")
    def _fits(self) -> PrometheusSpec:
        if duration_seconds(self.scrape_timeout) > duration_seconds(self.scrape_interval):
            raise ValueError(
                f"scrapeTimeout {self.scrape_timeout} exceeds scrapeInterval {self.scrape_interval}"
            )
        factors = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40, "PB": 2**50}
        match = re.fullmatch(r"([0-9]+)([A-Z]+)", self.retention_size)
        assert match is not None
        if int(match.group(1)) * factors[match.group(2)] >= memory_bytes(self.storage_size):
            raise ValueError(
                f"retentionSize {self.retention_size} must be smaller than storageSize {self.storage_size}"
            )
        return self


class _ServerImages(StrictModel):
    prometheus: PinnedImage = Field(
        "quay.io/prometheus/prometheus:v2.54.1", description="the pinned Prometheus image"
    )
    alertmanager: PinnedImage = Field(
        "quay.io/prometheus/alertmanager:v0.27.0", description="the pinned Alertmanager image"
    )
    blackbox_exporter: PinnedImage = Field(
        "quay.io/prometheus/blackbox-exporter:v0.25.0", description="the pinned blackbox exporter image"
    )


# The datastore exporters' images come between the servers' and kube-state-metrics'.
class MonitoringImages(datastores.ExporterImages, _ServerImages):
    kube_state_metrics: PinnedImage = Field(
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
        description="the pinned kube-state-metrics image",
    )


class ExportersSpec(datastores.ExporterToggles):
    """The datastores and the namespace's objects have no /metrics of their own: these
    exporters, deployed next to Prometheus, give the datastore and Kubernetes alerts their
    series. A datastore's exporter is deployed only while the datastore is."""

    kube_state_metrics: bool = Field(
        True,
        description=(
            "whether kube-state-metrics is deployed (the series of the pod restart and quota alerts)"
        ),
    )


def _default_jobs() -> dict[str, ScrapeJob]:
    return {
        "api": ScrapeJob(workload="api", port="metrics", interval="10s", timeout="5s"),
        "worker": ScrapeJob(workload="worker", port="metrics", interval="30s"),
        "vllm": ScrapeJob(workload="vllm", port="http", interval="15s"),
    }


class MonitoringSpec(StrictModel):
    enabled: bool = Field(
        True,
        description=("whether the MonitoringStack (Prometheus, Alertmanager, exporters, rules) is deployed"),
    )
    prometheus: PrometheusSpec = Field(
        PrometheusSpec(), description="the Prometheus server: intervals, retention, storage"
    )
    jobs: dict[DnsLabel, ScrapeJob] = Field(
        examples=[{"notifier-http": {"workload": "notifier", "port": "http", "path": "/stats"}}],
        default_factory=_default_jobs,
        description=(
            "job name -> a workload port Prometheus scrapes; merged over the "
            "defaults (api, worker, vllm), null removes one"
        ),
    )
    exporters: ExportersSpec = Field(
        ExportersSpec(), description="which exporters are deployed beside Prometheus"
    )
    exporter_interval: Duration = Field(
        "30s", description="the scrape_interval of the exporters' and Alertmanager's jobs"
    )
    nodes: NodeScrape = Field(NodeScrape(), description="scraping the kubelets")
    # Series nobody queries but every scrape stores: runtime internals with many buckets.
    dropped_metrics: list[Re2Regex] = Field(
        default_factory=lambda: ["go_gc_.*", "go_sched_.*", "go_memstats_.*_bucket", "python_gc_.*"],
        description=(
            "metric name regexes dropped at scrape by the scrape jobs "
            "(metric_relabel_configs action drop); extend with droppedMetricsAdd "
            "(a restatement that drops a default is refused)"
        ),
    )
    dropped_metrics_add: list[Re2Regex] = added_to("droppedMetrics", ["celery_task_runtime_seconds_bucket"])
    dropped_metrics_remove: list[Re2Regex] = taken_from("droppedMetrics", ["python_gc_.*"])
    blackbox: BlackboxSpec = Field(
        BlackboxSpec(), description="the blackbox exporter's modules and probed URLs"
    )
    alerts: AlertsSpec = Field(AlertsSpec(), description="the alert rules: thresholds, groups, runbooks")
    alertmanager: AlertmanagerSpec = Field(
        AlertmanagerSpec(), description="Alertmanager's routing, receivers and mute intervals"
    )
    images: MonitoringImages = Field(MonitoringImages(), description="the monitoring stack's pinned images")

    @model_validator(mode="before")
    @classmethod
    def _fold_dropped_metrics(cls, data: Any) -> Any:
        return fold_additions(cls, data, "dropped_metrics")
