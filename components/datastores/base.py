"""What a datastore's behaviour tells the registry: one `Datastore` value per datastore.

Every field answers one question the rest of the estate asks once the config is valid
(which production workloads it adds, which secrets the given estate needs, what a client
gets in its environment, which files a role mounts, what its exporter is told, which
alerts watch it, what the gate must refuse). What the config model itself knows of it
(roles, image, secret keys, exporter) is its `Facts` (facts.py). The datastores fill
these in; registry.py asks all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components.config.workloads import WorkloadSpec
from components.values.secret_text import SecretText

from .facts import Facts

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.monitoring import AlertRule, AlertThresholds


@dataclass(frozen=True)
class Files:
    """Files mounted read-only at `mount_path` (a ConfigMap, or a Secret when `secret`,
    then every value is a SecretText recipe): the targets turn them into their own kind."""

    name: str
    mount_path: str
    files: Mapping[str, str | SecretText]
    secret: bool = False


@dataclass(frozen=True)
class Wired:
    """What a datastore role needs beyond its spec: its spec with the command, arguments and
    environment the estate sets, and its files."""

    spec: WorkloadSpec
    files: list[Files]


@dataclass
class ClientEnv:
    """What a client workload gets from the datastores it names in `connectsTo`: secret
    values (SecretText recipes) and plain settings (its pool sizes, say)."""

    secret: dict[str, SecretText] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Datastore:
    facts: Facts
    # The production workloads of the roles (deep-merged under the stack config).
    default_workloads: Mapping[str, Mapping[str, Any]]
    # The secret keys the given estate needs (key -> why).
    required_secrets: Callable[[EstateConfig], dict[str, str]]
    # Adds what workload `client` with `connectsTo: [role]` gets: (role, client, config, env).
    add_client_env: Callable[[str, str, EstateConfig, ClientEnv], None]
    # A role's own command, arguments and files.
    wire: Callable[[str, EstateConfig, WorkloadSpec], Wired]
    alert_rules: Callable[[AlertThresholds, str], list[AlertRule]]
    # Cross-reference problems of a field-valid estate: (config key, message).
    problems: Callable[[EstateConfig], list[tuple[str, str]]]
    # Exporter workload -> the plain environment it runs with.
    exporter_env: Mapping[str, Callable[[EstateConfig], dict[str, str]]] = field(default_factory=dict)


def first_port(config: EstateConfig, workload: str) -> int:
    """The workload's main port: the first of its ports."""
    return next(iter(config.workloads[workload].ports.values()))
