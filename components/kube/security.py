"""Pod and container security contexts (Pod Security Standards restricted, and more)."""

from __future__ import annotations

from typing import Any

from components.config.workloads import SecuritySpec

OPT_OUT_ANNOTATION = "shiksha.io/security-opt-out"


def pod_security_context(spec: SecuritySpec) -> dict[str, Any]:
    return {
        "runAsNonRoot": spec.run_as_non_root,
        "runAsUser": spec.run_as_user,
        "runAsGroup": spec.run_as_group,
        "fsGroup": spec.fs_group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": spec.seccomp_profile},
    }


def container_security_context(spec: SecuritySpec) -> dict[str, Any]:
    context: dict[str, Any] = {
        "runAsNonRoot": spec.run_as_non_root,
        "runAsUser": spec.run_as_user,
        "runAsGroup": spec.run_as_group,
        "readOnlyRootFilesystem": spec.read_only_root_filesystem,
        "allowPrivilegeEscalation": spec.allow_privilege_escalation,
        "privileged": False,
        "seccompProfile": {"type": spec.seccomp_profile},
    }
    if spec.drop_all_capabilities:
        context["capabilities"] = {"drop": ["ALL"]}
    return context


def opt_out_annotations(spec: SecuritySpec) -> dict[str, str]:
    """Makes a loosened security context visible on the object itself."""
    loosened = spec.loosened_fields()
    if not loosened:
        return {}
    return {OPT_OUT_ANNOTATION: f"{', '.join(loosened)}: {spec.opt_out_reason}"}
