"""Reads the stack config into the estate model, refusing bad input before anything is registered.

One phase, both targets: field errors (pydantic) and cross-reference errors
(references.py, then components/plan/checks.py against the plan's network intent) are
reported together. The loader is the top of the gate: it sits above the config model,
the datastores and the plan, and nothing in the model imports it. When fields fail, the
cross-references are still checked on a patched-up copy of the config (each bad value
replaced by its production default, or dropped), and a reference to an entry that was
dropped is not reported.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from components.plan.checks import docker_volume_problems, plan_problems
from components.plan.monitoring import scrape_jobs
from components.plan.network import network_intent

from .defaults import DEFAULTS, deep_merge
from .errors import ConfigError, Problem, data_loc, from_validation_error, holds
from .estate import EstateConfig
from .merge import apply_removals, dropped_defaults
from .references import check_references
from .secrets import EstateSecrets, required_secrets
from .secrets_source import WORKLOAD_SECRET_KEYS, is_workload_secret_key

PROJECT = "shiksha-setu"
# Secret keys are read as Outputs, never into the model: these, and a datastore's
# per-workload keys (is_workload_secret_key).
SECRET_KEYS = (*WORKLOAD_SECRET_KEYS, "registryPassword")


def _is_secret_key(key: str) -> bool:
    return key in SECRET_KEYS or is_workload_secret_key(key)


# Rounds of patching a config up (each goes one level up the tree at most).
_SALVAGE_ROUNDS = 12
_DROPPED = object()


def _all_config() -> dict[str, Any]:
    # The engine passes config to the program in the runtime's map; PULUMI_CONFIG is the
    # older environment channel. Both must be seen to catch unknown keys.
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def stack_values(project: str = PROJECT) -> dict[str, Any]:
    """The project's own config keys (without secrets), decoded from their JSON form."""
    prefix = f"{project}:"
    return {
        key[len(prefix) :]: _decode(value)
        for key, value in _all_config().items()
        if key.startswith(prefix) and not _is_secret_key(key[len(prefix) :])
    }


def _validate(data: Any) -> EstateConfig:
    # By alias only: stack config is camelCase, and a snake_case twin is an unknown key.
    return EstateConfig.model_validate(data, by_alias=True, by_name=False)


def _lookup(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for part in path:
        if holds(node, part):
            node = node[part]
        else:
            return _DROPPED
    return node


def _patch(data: Any, error: ValidationError, dropped: set[str]) -> bool:
    """Replaces each failing value with its production default, or drops it (and a
    container missing a required key); False when nothing can be patched."""
    patched = False
    for item in error.errors():
        path, exists = data_loc(data, tuple(item["loc"]))
        if not exists or item["type"] == "missing":
            path = path[:-1]  # the container lacks a key: patch the container
        if not path:
            return False
        current = _lookup(data, path)
        default = _lookup(DEFAULTS, path)
        parent = _lookup(data, path[:-1])
        if current is _DROPPED or not isinstance(parent, dict | list):
            continue
        if default is not _DROPPED and default != current:
            parent[path[-1]] = copy.deepcopy(default)
        else:
            parent[path[-1]] = _DROPPED
            if isinstance(parent, dict):
                dropped.add(str(path[-1]))
        patched = True
    return patched


def _without_dropped(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_dropped(v) for k, v in node.items() if v is not _DROPPED}
    if isinstance(node, list):
        return [_without_dropped(v) for v in node if v is not _DROPPED]
    return node


def _salvage(data: Any, error: ValidationError) -> tuple[EstateConfig | None, set[str]]:
    """A field-valid estate as close to `data` as patching gets, and the dropped names."""
    data = copy.deepcopy(data)
    dropped: set[str] = set()
    for _ in range(_SALVAGE_ROUNDS):
        if not _patch(data, error, dropped):
            return None, dropped
        data = _without_dropped(data)
        try:
            return _validate(data), dropped
        except ValidationError as again:
            error = again
    return None, dropped


def reference_problems(config: EstateConfig, aggregates: bool = True) -> list[Problem]:
    """Every cross-reference problem of a field-valid estate: the config's own, then, when
    the monitoring workloads can be planned, those against the plan's network intent, and
    when nothing else is wrong, the docker host's volume names against the planned workloads."""
    references = check_references(config)
    if not references.plannable:
        return references.problems
    network = network_intent(config, scrape_jobs(config))
    problems = references.problems + plan_problems(config, network, aggregates)
    return problems or docker_volume_problems(config)


def parse_estate(values: dict[str, Any], project: str = PROJECT) -> EstateConfig:
    """Validates stack values merged over the production defaults: every field and every
    cross-reference, all problems in one ConfigError."""
    if not isinstance(values, dict):
        raise ConfigError([f"{project}: expected a mapping of config keys"])
    data = deep_merge(DEFAULTS, copy.deepcopy(values))
    # Nulls that remove nothing and restated lists that drop defaults: what the stack did not mean.
    explicit = apply_removals(data, values, DEFAULTS, EstateConfig, project)
    explicit += dropped_defaults(values, DEFAULTS, project, EstateConfig)
    try:
        config = _validate(data)
    except ValidationError as error:
        problems = explicit + from_validation_error(project, error, data, EstateConfig)
        salvaged, dropped = _salvage(data, error)
        if salvaged is not None:
            problems += [
                p.text(project)
                for p in reference_problems(salvaged, aggregates=False)
                if p.refers_to is None or p.refers_to not in dropped
            ]
        raise ConfigError(list(dict.fromkeys(problems))) from None
    if problems := explicit + [p.text(project) for p in reference_problems(config)]:
        raise ConfigError(problems)
    return config


def load_secrets(config: EstateConfig, project: str = PROJECT) -> EstateSecrets:
    stack_config = pulumi.Config(project)
    present = _all_config()
    problems = []
    values: dict[str, pulumi.Output[str]] = {}
    wanted = required_secrets(config)
    prefix = f"{project}:"
    per_workload = [
        k[len(prefix) :] for k in present if k.startswith(prefix) and _is_secret_key(k[len(prefix) :])
    ]
    for key in dict.fromkeys([*SECRET_KEYS, *wanted, *per_workload]):
        full = f"{project}:{key}"
        if config.secrets.external and is_workload_secret_key(key) and full in present:
            # Reading it would put the value into Pulumi state, which `external` promises not to.
            problems.append(
                f"{full}: is set although secrets.source is 'external' (the operator reads it from "
                f"the secrets manager); remove it with `pulumi config rm {key}`"
            )
            continue
        if full not in present:
            if key in wanted:
                problems.append(
                    f"{full}: required secret is missing ({wanted[key]}); "
                    f"set it with `pulumi config set --secret {key} <value>`"
                )
            continue
        if not runtime_config.is_config_secret(full):
            problems.append(
                f"{full}: is stored in plaintext; expected a secret "
                f"(`pulumi config set --secret {key} <value>`)"
            )
            continue
        values[key] = stack_config.require_secret(key)
    if problems:
        raise ConfigError(problems)
    return EstateSecrets(values)


def load_estate(project: str = PROJECT) -> tuple[EstateConfig, EstateSecrets]:
    config = parse_estate(stack_values(project), project)
    return config, load_secrets(config, project)
