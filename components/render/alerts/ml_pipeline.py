"""The ML pipeline (vLLM's own series on its HTTP port)."""

from __future__ import annotations

from components.config.monitoring import AlertRule, AlertThresholds


def rules(t: AlertThresholds, _namespace: str) -> list[AlertRule]:
    return [
        AlertRule(
            alert="VLLMDown",
            expr='absent(up{job="vllm"} == 1)',
            for_="5m",
            severity="critical",
            summary="The vLLM inference server is down",
            description="No vLLM pod has answered its metrics scrape for 5 minutes; AI features fail.",
            runbook="vllm-down",
        ),
        AlertRule(
            alert="VLLMHighLatencyP95",
            expr=(
                "histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket[5m])))"
                f" > {t.vllm_p95_latency_seconds}"
            ),
            for_="10m",
            severity="warning",
            summary="vLLM P95 request latency is {{ $value | humanizeDuration }}",
            description=(
                "The 95th percentile of end-to-end inference latency has exceeded "
                f"{t.vllm_p95_latency_seconds}s for 10 minutes."
            ),
            runbook="vllm-latency",
        ),
        AlertRule(
            alert="VLLMQueueBacklog",
            expr=f"sum(vllm:num_requests_waiting) > {t.vllm_queue_depth}",
            for_="5m",
            severity="warning",
            summary="{{ $value }} inference requests are waiting",
            description=f"More than {t.vllm_queue_depth} requests have waited for a vLLM slot for 5 minutes.",
            runbook="vllm-queue",
        ),
        AlertRule(
            alert="VLLMGPUCacheFull",
            # vLLM reports the KV-cache share of GPU memory as a 0-1 fraction despite the name.
            expr=f"max(vllm:gpu_cache_usage_perc) > {t.vllm_gpu_cache_ratio}",
            for_="10m",
            severity="warning",
            summary="vLLM GPU KV cache at {{ $value | humanizePercentage }}",
            description=(
                "The GPU memory vLLM reserves for its KV cache is nearly full; requests are being preempted."
            ),
            runbook="vllm-gpu-memory",
        ),
    ]
