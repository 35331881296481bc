"""The production estate: the secure, production values every stack starts from.

Stack config is deep-merged over this (mappings merge, lists and scalars replace),
so a stack file says only where it differs from production. A `null` for an entry of a
map keyed by name (a route's path, a workload's env name) removes that entry
(merge.py); any other `null` is the value None.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from components.datastores import registry
from components.datastores import settings as datastores

from .estate import EstateConfig
from .types import Labels

BACKEND_RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}

PLATFORM_WORKLOADS: dict[str, dict[str, Any]] = {
    "api": {
        "component": "api",
        "image": "backend",
        "replicas": 3,
        "command": ["gunicorn"],
        "args": ["app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:8000", "-w", "2"],
        "ports": {"http": 8000, "metrics": 9100},
        "env": {"PROMETHEUS_MULTIPROC_DIR": "/tmp/prometheus", "LOG_FORMAT": "json"},
        "connectsTo": [datastores.DATABASE, datastores.BROKER, "vllm"],
        "celeryClient": True,
        "resources": BACKEND_RESOURCES,
        "probes": {
            "startup": {"httpPath": "/health", "port": "http", "periodSeconds": 5, "failureThreshold": 24},
            "readiness": {
                "httpPath": "/health/ready",
                "port": "http",
                "periodSeconds": 10,
                "timeoutSeconds": 5,
            },
            "liveness": {
                "httpPath": "/health/live",
                "port": "http",
                "periodSeconds": 20,
                "timeoutSeconds": 5,
                "failureThreshold": 5,
            },
        },
        "autoscaling": {"minReplicas": 3, "maxReplicas": 10, "targetCpuUtilization": 70},
        "writablePaths": ["/tmp"],
    },
    "worker": {
        "component": "worker",
        "image": "backend",
        "replicas": 2,
        "command": ["celery"],
        "args": ["-A", "app.celery_app", "worker", "--loglevel=INFO", "--concurrency=4"],
        "ports": {"metrics": 9808},
        "connectsTo": [datastores.DATABASE, datastores.BROKER, "vllm"],
        "celeryClient": True,
        "egressInternet": True,
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
        "probes": {
            "readiness": {
                "exec": ["sh", "-c", "celery -A app.celery_app inspect ping -d celery@$HOSTNAME --timeout 5"],
                "periodSeconds": 30,
                "timeoutSeconds": 10,
            },
            "liveness": {
                "exec": ["sh", "-c", "celery -A app.celery_app inspect ping -d celery@$HOSTNAME --timeout 5"],
                "periodSeconds": 60,
                "timeoutSeconds": 10,
                "failureThreshold": 5,
            },
        },
        "terminationGracePeriodSeconds": 120,
    },
    "beat": {
        "component": "scheduler",
        "image": "backend",
        "replicas": 1,
        "singleton": True,
        "command": ["celery"],
        "args": [
            "-A",
            "app.celery_app",
            "beat",
            "--loglevel=INFO",
            "--schedule=/var/run/celery/celerybeat-schedule",
        ],
        "connectsTo": [datastores.BROKER],
        "celeryClient": True,
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "250m", "memory": "256Mi"},
        },
        "probes": {
            "readiness": {
                "exec": ["sh", "-c", "test -s /var/run/celery/celerybeat-schedule"],
                "periodSeconds": 30,
                "initialDelaySeconds": 10,
            },
            "liveness": {
                "exec": [
                    "sh",
                    "-c",
                    "test $(( $(date +%s) - $(stat -c %Y /var/run/celery/celerybeat-schedule) )) -lt 600",
                ],
                "periodSeconds": 60,
                "initialDelaySeconds": 60,
            },
        },
        "writablePaths": ["/tmp", "/var/run/celery"],
    },
    "frontend": {
        "component": "frontend",
        "image": "frontend",
        "replicas": 2,
        "ports": {"http": 3000},
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "250m", "memory": "128Mi"},
        },
        "probes": {
            "readiness": {"httpPath": "/", "port": "http", "periodSeconds": 10},
            "liveness": {"httpPath": "/", "port": "http", "periodSeconds": 20},
        },
    },
    "vllm": {
        "component": "inference",
        "image": "vllm",
        "replicas": 1,
        "args": ["--model", "/models/current", "--port", "8000", "--max-model-len", "8192"],
        "ports": {"http": 8000},
        "env": {"HF_HOME": "/cache/huggingface", "HF_HUB_OFFLINE": "1"},
        "resources": {"requests": {"cpu": "2", "memory": "12Gi"}, "limits": {"cpu": "4", "memory": "16Gi"}},
        "gpu": {"count": 1},
        "probes": {
            # Loading model weights takes minutes: 90 x 10 s before liveness takes over.
            "startup": {
                "httpPath": "/health",
                "port": "http",
                "periodSeconds": 10,
                "timeoutSeconds": 5,
                "failureThreshold": 90,
            },
            "readiness": {"httpPath": "/health", "port": "http", "periodSeconds": 10, "timeoutSeconds": 5},
            "liveness": {
                "httpPath": "/health",
                "port": "http",
                "periodSeconds": 30,
                "timeoutSeconds": 10,
                "failureThreshold": 5,
            },
        },
        "writablePaths": ["/tmp", "/cache", "/models"],
        "terminationGracePeriodSeconds": 60,
    },
    # The datastores' roles (components/datastores/).
    **registry.default_workloads(),
}

PINNED_IMAGES = {
    "backend": "ghcr.io/shiksha-setu/backend:4.1.0",
    "frontend": "ghcr.io/shiksha-setu/frontend:4.1.0",
    "vllm": "docker.io/vllm/vllm-openai:v0.6.3",
    **registry.pinned_images(),
}


def model_maps(model: type[BaseModel]) -> dict[str, Any]:
    """The non-empty maps of named entries among the model's own defaults (edge.routes,
    monitoring.jobs, alertmanager receivers, ...), in stack-config form. In the merge base,
    a stack's entries add to these instead of replacing them. Label selectors are one
    selector, not named entries: they stay out (a stack's selector replaces the default)."""
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        default = field.get_default(call_default_factory=True)
        if isinstance(default, dict) and default and field.annotation not in (None, Labels):
            found[key] = TypeAdapter(field.annotation).dump_python(default, by_alias=True, mode="json")
        elif isinstance(default, BaseModel) and (nested := model_maps(type(default))):
            found[key] = nested
    return found


def deep_merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key; anything else in `override` replaces `base`."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return override


DEFAULTS: dict[str, Any] = deep_merge(
    model_maps(EstateConfig),
    {
        "target": "kubernetes",
        "workloads": PLATFORM_WORKLOADS,
        "images": {"pinned": PINNED_IMAGES},
    },
)
