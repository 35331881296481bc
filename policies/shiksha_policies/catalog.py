"""Every rule of the pack, in the order the engine runs them."""

from __future__ import annotations

from . import exemption_report
from .docker import datastore_ports, image_pinned, no_new_privileges, oci_labels, read_only
from .docker import privileged as docker_privileged
from .guardrails import (
    configmap_secrets,
    default_deny,
    edge_tls,
    external_secrets,
    image_pinning,
    pdb_coverage,
    pdb_disruption,
    platform_quota,
    probes,
    read_only_root_fs,
    resources,
    service_account_token,
    service_exposure,
)
from .pod_security import RULES as PSS_RULES
from .pod_security import SETTINGS as PSS_SETTINGS
from .rule import Rule

GUARDRAILS: tuple[Rule, ...] = tuple(
    m.RULE
    for m in (
        read_only_root_fs,
        resources,
        probes,
        image_pinning,
        service_exposure,
        edge_tls,
        configmap_secrets,
        service_account_token,
        default_deny,
        pdb_coverage,
        pdb_disruption,
        platform_quota,
        external_secrets,
    )
)
DOCKER: tuple[Rule, ...] = tuple(
    m.RULE
    for m in (docker_privileged, read_only, no_new_privileges, datastore_ports, image_pinned, oci_labels)
)
# Last, so it runs after every other stack policy has had the chance to apply an exemption.
ALL_RULES: tuple[Rule, ...] = (*PSS_RULES, *GUARDRAILS, *DOCKER, PSS_SETTINGS, exemption_report.RULE)
BY_NAME: dict[str, Rule] = {r.name: r for r in ALL_RULES}
assert len(BY_NAME) == len(ALL_RULES), "policy names must be unique"
