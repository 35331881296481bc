"""Blackbox probes: endpoint failures and TLS certificate expiry."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds

CRITICAL_EXPIRY_DAYS = 3


def rules(t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    days_left = '(probe_ssl_earliest_cert_expiry{job="blackbox"} - time()) / 86400'
    return [
        AlertRule(
            alert="EndpointProbeFailed",
            expr='probe_success{job="blackbox"} == 0',
            for_="5m",
            severity="critical",
            summary="Probe {{ $labels.probe }} ({{ $labels.instance }}) is failing",
            description=(
                "The blackbox exporter has not reached {{ $labels.instance }} successfully for 5 minutes."
            ),
            runbook="endpoint-probe-failed",
        ),
        AlertRule(
            alert="EndpointProbeSlow",
            expr='probe_duration_seconds{job="blackbox"} > 2',
            for_="15m",
            severity="info",
            summary="Probe {{ $labels.probe }} takes {{ $value | humanizeDuration }}",
            description="{{ $labels.instance }} answers, but slower than 2s for 15 minutes.",
            runbook="endpoint-probe-slow",
        ),
        # Same alertname at two severities: the inhibition rule silences the warning while
        # the critical one fires, so on-call gets one page, not two.
        AlertRule(
            alert="TLSCertificateExpiringSoon",
            expr=f"{days_left} < {t.certificate_expiry_days}",
            for_="1h",
            severity="warning",
            summary="TLS certificate of {{ $labels.instance }} expires in {{ $value | humanize }} days",
            description=(
                "The certificate served at {{ $labels.instance }} expires in less than "
                f"{t.certificate_expiry_days} days; renewal has not happened."
            ),
            runbook="tls-certificate-expiry",
        ),
        AlertRule(
            alert="TLSCertificateExpiringSoon",
            expr=f"{days_left} < {CRITICAL_EXPIRY_DAYS}",
            for_="10m",
            severity="critical",
            summary="TLS certificate of {{ $labels.instance }} expires in {{ $value | humanize }} days",
            description=(
                "The certificate served at {{ $labels.instance }} expires in less than "
                f"{CRITICAL_EXPIRY_DAYS} days; browsers will soon refuse the site."
            ),
            runbook="tls-certificate-expiry",
        ),
    ]
