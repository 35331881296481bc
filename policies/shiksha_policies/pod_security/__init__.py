"""The Pod Security Standards, one control per module, named as the issue's table names them."""

from __future__ import annotations

from ..rule import Rule
from . import (
    apparmor,
    capabilities_baseline,
    capabilities_restricted,
    host_namespaces,
    host_path,
    host_ports,
    host_probes,
    host_process,
    privilege_escalation,
    privileged,
    proc_mount,
    proc_mount_restricted,
    run_as_non_root,
    run_as_non_root_user,
    seccomp_baseline,
    seccomp_restricted,
    selinux,
    settings,
    sysctls,
    volume_types,
)

RULES: tuple[Rule, ...] = tuple(
    m.RULE
    for m in (
        host_process,
        host_namespaces,
        privileged,
        capabilities_baseline,
        host_path,
        host_ports,
        host_probes,
        apparmor,
        selinux,
        proc_mount,
        seccomp_baseline,
        sysctls,
        volume_types,
        privilege_escalation,
        run_as_non_root,
        run_as_non_root_user,
        seccomp_restricted,
        capabilities_restricted,
        proc_mount_restricted,
    )
)
# The pack-wide `pss.version` setting (a policy that reports nothing), see settings.py.
SETTINGS: Rule = settings.RULE
