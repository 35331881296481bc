"""Blackbox exporter modules -> blackbox.yml."""

from __future__ import annotations

from typing import Any

from components.config.monitoring import BlackboxSpec
from components.render.yaml_text import dump_yaml


def blackbox_config(spec: BlackboxSpec) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for name, module in spec.modules.items():
        http: dict[str, Any] = {
            "method": module.method,
            "preferred_ip_protocol": module.preferred_ip_protocol,
            "fail_if_not_ssl": module.fail_if_not_ssl,
            # A redirect to a login page is not "up"; follow it and judge the final answer.
            "follow_redirects": True,
        }
        if module.valid_status_codes:
            http["valid_status_codes"] = list(module.valid_status_codes)
        modules[name] = {"prober": "http", "timeout": module.timeout, "http": http}
    return {"modules": modules}


def render_blackbox(spec: BlackboxSpec) -> str:
    return dump_yaml(blackbox_config(spec), width=80)
