"""Monitoring: scrape jobs, blackbox probes, alert rules, Alertmanager routing, storage.

Every default is the production value. The renderers in components/render/ turn this
tree into prometheus.yml, rule files, alertmanager.yml and blackbox.yml; nothing else
decides what those files say.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.datastores import settings as datastores

from .alerts import AlertRule, AlertThresholds, Severity
from .base import StrictModel
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

    workload: Dns1035Label
    port: PortName = Field(description="name of one of the workload's ports")
    path: UrlPath = "/metrics"
    interval: Duration = "30s"
    timeout: Duration | None = None

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> ScrapeJob:
        if self.timeout is not None and duration_seconds(self.timeout) > duration_seconds(self.interval):
            raise ValueError(f"timeout {self.timeout} exceeds interval {self.interval}")
        return self


class NodeScrape(StrictModel):
    """The kubelets' own metrics; needs the one cluster-wide grant (nodes, nodes/metrics)."""

    enabled: bool = True
    interval: Duration = "30s"
    kubelet_port: Port = 10250


BlackboxModuleName = Annotated[
    str, fullmatch(r"[A-Za-z0-9_]+", "a module name: letters, digits and '_'", 128)
]


class BlackboxModule(StrictModel):
    timeout: Duration = "5s"
    method: Literal["GET", "HEAD"] = "GET"
    valid_status_codes: list[Annotated[int, Field(strict=True, ge=100, le=599)]] = Field(
        default_factory=list, description="empty means any 2xx"
    )
    fail_if_not_ssl: bool = False
    preferred_ip_protocol: Literal["ip4", "ip6"] = "ip4"


class ProbeTarget(StrictModel):
    url: HttpUrl
    module: BlackboxModuleName


class BlackboxSpec(StrictModel):
    interval: Duration = "30s"
    modules: dict[BlackboxModuleName, BlackboxModule] = Field(
        default_factory=lambda: {
            "http_2xx": BlackboxModule(),
            "https_2xx": BlackboxModule(fail_if_not_ssl=True),
        }
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
        }
    )


ALERT_GROUPS = ("api", "task-queue", "workers", "datastores", "ml-pipeline", "kubernetes", "probes")


class AlertsSpec(StrictModel):
    runbook_base_url: HttpUrl = "https://runbooks.shikshasetu.example.org/alerts"
    thresholds: AlertThresholds = AlertThresholds()
    disabled_groups: list[
        Literal["api", "task-queue", "workers", "datastores", "ml-pipeline", "kubernetes", "probes"]
    ] = Field(examples=[["ml-pipeline"]], default_factory=list)
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
    start_time: ClockTime
    end_time: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if _minutes(self.start_time) >= _minutes(self.end_time):
            raise ValueError(
                f"startTime {self.start_time} is not before endTime {self.end_time}; "
                "a window across midnight is two ranges (…-24:00 and 00:00-…)"
            )
        return self


class TimeInterval(StrictModel):
    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[Annotated[str, AfterValidator(_check_weekday_range)]] = Field(default_factory=list)
    location: TimeZone = "Asia/Kolkata"


class PagerDutyReceiver(StrictModel):
    """The routing key is the `pagerdutyRoutingKey` secret, mounted as a file."""

    severity: Severity = "critical"
    send_resolved: bool = True


class WebhookReceiver(StrictModel):
    url: HttpUrl
    send_resolved: bool = True


class Receiver(StrictModel):
    """A receiver with neither integration delivers nowhere: the alert shows in the UI only."""

    pagerduty: PagerDutyReceiver | None = None
    webhook: WebhookReceiver | None = None


class Route(StrictModel):
    severity: Severity
    receiver: DnsLabel
    mute_intervals: list[DnsLabel] = Field(default_factory=list)
    group_wait: Duration | None = None
    repeat_interval: Duration | None = None


class InhibitRule(StrictModel):
    source_severity: Severity = "critical"
    target_severity: Severity = "warning"
    equal: list[PromLabelName] = Field(default_factory=lambda: ["alertname", "namespace"])

    @model_validator(mode="after")
    def _not_itself(self) -> InhibitRule:
        if self.source_severity == self.target_severity:
            raise ValueError("an alert severity cannot inhibit itself")
        return self


class AlertmanagerSpec(StrictModel):
    group_by: list[PromLabelName] = Field(default_factory=lambda: ["alertname", "namespace", "severity"])
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"
    default_receiver: DnsLabel = "platform-warnings"
    receivers: dict[DnsLabel, Receiver] = Field(
        default_factory=lambda: {
            "pagerduty-critical": Receiver(pagerduty=PagerDutyReceiver()),
            "platform-warnings": Receiver(
                webhook=WebhookReceiver(url="http://chatops-relay:8080/alertmanager/warnings")
            ),
            "info-log": Receiver(),
        }
    )
    routes: list[Route] = Field(
        default_factory=lambda: [
            Route(severity="critical", receiver="pagerduty-critical", group_wait="10s", repeat_interval="1h"),
            Route(severity="warning", receiver="platform-warnings", mute_intervals=["maintenance"]),
            Route(
                severity="info", receiver="info-log", mute_intervals=["maintenance"], repeat_interval="24h"
            ),
        ]
    )
    inhibit_rules: list[InhibitRule] = Field(default_factory=lambda: [InhibitRule()])
    # The weekly maintenance window (Sunday 02:00-04:00 IST): warnings and info are muted,
    # critical alerts still page.
    mute_intervals: dict[DnsLabel, list[TimeInterval]] = Field(
        default_factory=lambda: {
            "maintenance": [
                TimeInterval(times=[TimeRange(start_time="02:00", end_time="04:00")], weekdays=["sunday"])
            ]
        }
    )

    @property
    def pagerduty_enabled(self) -> bool:
        used = {route.receiver for route in self.routes} | {self.default_receiver}
        return any(
            receiver.pagerduty is not None for name, receiver in self.receivers.items() if name in used
        )


class PrometheusSpec(StrictModel):
    scrape_interval: Duration = "30s"
    scrape_timeout: Duration = "10s"
    evaluation_interval: Duration = "30s"
    retention: Duration = "15d"
    # Retention by size keeps the TSDB below its volume: Prometheus cannot compact on a full disk.
    retention_size: Annotated[
        str, fullmatch(r"[1-9][0-9]{0,15}(B|KB|MB|GB|TB|PB)", "a size such as 40GB (B, KB, MB, GB, TB, PB)")
    ] = "40GB"
    storage_size: MemoryQuantity = "50Gi"
    storage_class: DnsSubdomain | None = None

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
    prometheus: PinnedImage = "quay.io/prometheus/prometheus:v2.54.1"
    alertmanager: PinnedImage = "quay.io/prometheus/alertmanager:v0.27.0"
    blackbox_exporter: PinnedImage = "quay.io/prometheus/blackbox-exporter:v0.25.0"


# The datastore exporters' images come between the servers' and kube-state-metrics'.
class MonitoringImages(datastores.ExporterImages, _ServerImages):
    kube_state_metrics: PinnedImage = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0"


class ExportersSpec(datastores.ExporterToggles):
    """The datastores and the namespace's objects have no /metrics of their own: these
    exporters, deployed next to Prometheus, give the datastore and Kubernetes alerts their
    series. A datastore's exporter is deployed only while the datastore is."""

    kube_state_metrics: bool = True


def _default_jobs() -> dict[str, ScrapeJob]:
    return {
        "api": ScrapeJob(workload="api", port="metrics", interval="10s", timeout="5s"),
        "worker": ScrapeJob(workload="worker", port="metrics", interval="30s"),
        "vllm": ScrapeJob(workload="vllm", port="http", interval="15s"),
    }


class MonitoringSpec(StrictModel):
    enabled: bool = True
    prometheus: PrometheusSpec = PrometheusSpec()
    jobs: dict[DnsLabel, ScrapeJob] = Field(
        examples=[{"notifier-http": {"workload": "notifier", "port": "http", "path": "/stats"}}],
        default_factory=_default_jobs,
    )
    exporters: ExportersSpec = ExportersSpec()
    exporter_interval: Duration = "30s"
    nodes: NodeScrape = NodeScrape()
    # Series nobody queries but every scrape stores: runtime internals with many buckets.
    dropped_metrics: list[Re2Regex] = Field(
        default_factory=lambda: ["go_gc_.*", "go_sched_.*", "go_memstats_.*_bucket", "python_gc_.*"]
    )
    blackbox: BlackboxSpec = BlackboxSpec()
    alerts: AlertsSpec = AlertsSpec()
    alertmanager: AlertmanagerSpec = AlertmanagerSpec()
    images: MonitoringImages = MonitoringImages()
