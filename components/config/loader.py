"""Reads the stack config into the estate model, refusing bad input before anything is registered."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from .defaults import DEFAULTS, deep_merge
from .errors import ConfigError, from_validation_error
from .estate import EstateConfig
from .secrets import EstateSecrets, required_secrets
from .secrets_source import WORKLOAD_SECRET_KEYS

PROJECT = "shiksha-setu"
# Secret keys are read as Outputs, never into the model.
SECRET_KEYS = (*WORKLOAD_SECRET_KEYS, "registryPassword")


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
        except json.JSONDecodeError:
            return value
    return value


def stack_values(project: str = PROJECT) -> dict[str, Any]:
    """The project's own config keys (without secrets), decoded from their JSON form."""
    prefix = f"{project}:"
    return {
        key[len(prefix) :]: _decode(value)
        for key, value in _all_config().items()
        if key.startswith(prefix) and key[len(prefix) :] not in SECRET_KEYS
    }


def parse_estate(values: dict[str, Any], project: str = PROJECT) -> EstateConfig:
    """Validates stack values merged over the production defaults."""
    try:
        return EstateConfig.model_validate(deep_merge(DEFAULTS, values))
    except ValidationError as error:
        raise from_validation_error(project, error) from None


def load_secrets(config: EstateConfig, project: str = PROJECT) -> EstateSecrets:
    stack_config = pulumi.Config(project)
    present = _all_config()
    problems = []
    values: dict[str, pulumi.Output[str]] = {}
    wanted = required_secrets(config)
    for key in SECRET_KEYS:
        full = f"{project}:{key}"
        if config.secrets.external and key in WORKLOAD_SECRET_KEYS and full in present:
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
