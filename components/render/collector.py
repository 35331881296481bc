"""The log collector's configuration (OpenTelemetry Collector): typed config -> YAML text.

One pipeline (component ids as of collector 0.165, whose old aliases `filelog` and
`otlphttp` are deprecated): the file_log receiver tails the kubelet's container log files of the shipped
namespaces, its `container` operator strips the runtime's line format (CRI or Docker) and
reads namespace, pod and container from the file path, a JSON body (NGINX's json_combined,
the API's LOG_FORMAT=json) is parsed into attributes with the line itself kept as the body,
and otlp_http ships batches to the Loki-compatible endpoint. Credentials arrive as
environment variables from a Secret; nothing secret is in this text.
"""

from __future__ import annotations

from typing import Any

from components.config.logging import LoggingSpec
from components.render.yaml_text import dump_yaml

CONFIG_DIR = "/etc/otelcol"
CONFIG_FILE = "config.yaml"
PODS_DIR = "/var/log/pods"
HEALTH_PORT = 13133
# Environment variables the DaemonSet sets (the first from a Secret).
AUTHORIZATION_ENV = "LOKI_BASIC_AUTH"
POD_IP_ENV = "POD_IP"


def literal(value: str) -> str:
    """A config string the collector's resolver must not expand: `${...}` would read an
    environment variable or a file, so every `$` is doubled (the resolver's escape)."""
    return value.replace("$", "$$")


def collector_config(
    spec: LoggingSpec,
    namespaces: list[str],
    pods_dir: str = PODS_DIR,
    health_endpoint: str = f"${{env:{POD_IP_ENV}}}:{HEALTH_PORT}",
) -> dict[str, Any]:
    assert spec.endpoint is not None, "logging.endpoint is validated as required when enabled"
    # Kubelet layout: <pods_dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log; namespace
    # names are DNS labels, so they are safe inside the glob.
    include = [f"{pods_dir}/{ns}_*/*/*.log" for ns in sorted(set(namespaces))]
    headers: dict[str, str] = {}
    if spec.username is not None:
        headers["Authorization"] = f"Basic ${{env:{AUTHORIZATION_ENV}}}"
    if spec.tenant is not None:
        headers["X-Scope-OrgID"] = literal(spec.tenant)
    exporter: dict[str, Any] = {
        "logs_endpoint": literal(spec.endpoint),
        "compression": "gzip",
        "retry_on_failure": {"enabled": True, "max_elapsed_time": "10m"},
        "sending_queue": {"enabled": True, "queue_size": 5000},
    }
    if headers:
        exporter["headers"] = headers
    return {
        "extensions": {"health_check": {"endpoint": health_endpoint}},
        "receivers": {
            "file_log": {
                "include": include,
                # The collector's own namespace never ships itself (no feedback loop).
                "exclude": [f"{pods_dir}/{spec.namespace}_*/*/*.log"],
                "start_at": "end",
                "include_file_path": True,
                "include_file_name": False,
                "operators": [
                    {"type": "container", "id": "container"},
                    {
                        "type": "json_parser",
                        "id": "json-body",
                        "if": 'body matches "^\\\\s*\\\\{"',
                        "parse_from": "body",
                        "parse_to": "attributes",
                        "on_error": "send_quiet",
                    },
                ],
            }
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
            "batch": {"send_batch_size": 1024, "timeout": "5s"},
        },
        "exporters": {"otlp_http": exporter},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "logs": {
                    "receivers": ["file_log"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["otlp_http"],
                }
            },
        },
    }


def render_collector_config(spec: LoggingSpec, namespaces: list[str], **where: str) -> str:
    return dump_yaml(collector_config(spec, namespaces, **where))
