"""The API (FastAPI instrumentator series): availability, error ratio, P95 latency."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds


def rules(t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    return [
        AlertRule(
            alert="APIDown",
            expr='absent(up{job="api"} == 1)',
            for_="2m",
            severity="critical",
            summary="No API pod is being scraped successfully",
            description=(
                "Prometheus has had no healthy API target for 2 minutes; the platform is likely down."
            ),
            runbook="api-down",
        ),
        AlertRule(
            alert="APIHighErrorRatio",
            # The instrumentator groups codes as "5xx"; the regex matches grouped and exact codes.
            expr=(
                'sum(rate(http_requests_total{job="api",status=~"5.."}[5m]))'
                ' / sum(rate(http_requests_total{job="api"}[5m]))'
                f" > {t.api_error_ratio}"
            ),
            for_="5m",
            severity="critical",
            summary="API 5xx ratio is {{ $value | humanizePercentage }}",
            description=(
                f"More than {t.api_error_ratio:.0%} of API requests failed with a 5xx status "
                "over the last 5 minutes."
            ),
            runbook="api-high-error-ratio",
        ),
        AlertRule(
            alert="APIHighLatencyP95",
            expr=(
                "histogram_quantile(0.95, sum by (le) "
                '(rate(http_request_duration_seconds_bucket{job="api"}[5m])))'
                f" > {t.api_p95_latency_seconds}"
            ),
            for_="10m",
            severity="warning",
            summary="API P95 latency is {{ $value | humanizeDuration }}",
            description=(
                f"The 95th percentile of API request latency has exceeded {t.api_p95_latency_seconds}s for "
                "10 minutes."
            ),
            runbook="api-high-latency",
        ),
    ]
