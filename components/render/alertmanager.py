"""Alertmanager routing, receivers, inhibition and mute intervals -> alertmanager.yml.

The PagerDuty routing key is never in this text: `routing_key_file` names the file a
Kubernetes Secret is mounted as.
"""

from __future__ import annotations

from typing import Any

from components.config.monitoring import AlertmanagerSpec
from components.render.quoting import go_template_text
from components.render.yaml_text import dump_yaml

CONFIG_DIR = "/etc/alertmanager/config"
TEMPLATES_DIR = "/etc/alertmanager/templates"
SECRETS_DIR = "/etc/alertmanager/secrets"
ROUTING_KEY_FILE = "pagerduty-routing-key"
DATA_DIR = "/alertmanager"
# Relative to the config file, like Prometheus's rule files.
TEMPLATE_GLOB = "../templates/*.tmpl"


def notification_template(runbook_base_url: str) -> str:
    """Templates every receiver uses; an alert without runbook_url still links somewhere.

    The base URL is config, so it is data in the template, never template text."""
    default = go_template_text(f"{runbook_base_url.rstrip('/')}/index", "monitoring.alerts.runbookBaseUrl")
    return (
        '{{ define "shiksha.runbook" }}'
        "{{ if .CommonAnnotations.runbook_url }}{{ .CommonAnnotations.runbook_url }}"
        f"{{{{ else }}}}{default}{{{{ end }}}}"
        "{{ end }}\n"
        '{{ define "shiksha.title" }}'
        '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
        "{{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})"
        "{{ end }}\n"
        '{{ define "shiksha.description" }}'
        "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}"
        'Runbook: {{ template "shiksha.runbook" . }}'
        "{{ end }}\n"
    )


def _receiver(name: str, spec: AlertmanagerSpec, routing_key_path: str) -> dict[str, Any]:
    receiver = spec.receivers[name]
    body: dict[str, Any] = {"name": name}
    if receiver.pagerduty is not None:
        body["pagerduty_configs"] = [
            {
                "routing_key_file": routing_key_path,
                "send_resolved": receiver.pagerduty.send_resolved,
                "severity": receiver.pagerduty.severity,
                "description": '{{ template "shiksha.title" . }}',
                "details": {"firing": '{{ template "shiksha.description" . }}'},
                "links": [{"href": '{{ template "shiksha.runbook" . }}', "text": "Runbook"}],
            }
        ]
    if receiver.webhook is not None:
        body["webhook_configs"] = [
            {"url": receiver.webhook.url, "send_resolved": receiver.webhook.send_resolved}
        ]
    return body


def alertmanager_config(spec: AlertmanagerSpec, routing_key_path: str | None = None) -> dict[str, Any]:
    """`routing_key_path` defaults to where the pod mounts the key's Secret."""
    key_path = routing_key_path or f"{SECRETS_DIR}/{ROUTING_KEY_FILE}"
    routes = []
    for route in spec.routes:
        body: dict[str, Any] = {
            "receiver": route.receiver,
            "matchers": [f'severity="{route.severity}"'],
        }
        if route.group_wait:
            body["group_wait"] = route.group_wait
        if route.repeat_interval:
            body["repeat_interval"] = route.repeat_interval
        if route.mute_intervals:
            body["mute_time_intervals"] = list(route.mute_intervals)
        routes.append(body)
    return {
        "route": {
            "receiver": spec.default_receiver,
            "group_by": list(spec.group_by),
            "group_wait": spec.group_wait,
            "group_interval": spec.group_interval,
            "repeat_interval": spec.repeat_interval,
            "routes": routes,
        },
        "receivers": [_receiver(name, spec, key_path) for name in spec.receivers],
        "inhibit_rules": [
            {
                "source_matchers": [f'severity="{rule.source_severity}"'],
                "target_matchers": [f'severity="{rule.target_severity}"'],
                "equal": list(rule.equal),
            }
            for rule in spec.inhibit_rules
        ],
        "time_intervals": [
            {
                "name": name,
                "time_intervals": [
                    {
                        **({"times": [t.model_dump() for t in interval.times]} if interval.times else {}),
                        **({"weekdays": list(interval.weekdays)} if interval.weekdays else {}),
                        "location": interval.location,
                    }
                    for interval in intervals
                ],
            }
            for name, intervals in spec.mute_intervals.items()
        ],
        "templates": [TEMPLATE_GLOB],
    }


def render_alertmanager(spec: AlertmanagerSpec) -> str:
    return dump_yaml(alertmanager_config(spec))
