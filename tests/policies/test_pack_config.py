"""The pack config format the engine validates (`--policy-pack-config`), checked with the
same JSON schema the engine builds from each policy's config schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from shiksha_policies.catalog import BY_NAME

from .harness import FIXTURES

EXAMPLE = json.loads((FIXTURES / "pack-config.example.json").read_text())
LEVELS = {"advisory", "mandatory", "remediate", "disabled"}


def engine_schema(policy: str) -> dict[str, Any]:
    # What the engine validates a policy's properties against: an object with the policy's
    # declared properties (pulumi pkg/resource/plugin: convertSchema).
    schema = BY_NAME[policy].config_schema()
    return {"type": "object", "properties": schema.properties}


def validate(policy: str, value: Any) -> None:
    if isinstance(value, str):
        assert value in LEVELS
        return
    props = {k: v for k, v in value.items() if k != "enforcementLevel"}
    if "enforcementLevel" in value:
        assert value["enforcementLevel"] in LEVELS
    jsonschema.validate(props, engine_schema(policy))


def test_the_example_config_is_valid() -> None:
    for key, value in EXAMPLE.items():
        if key == "all":
            assert value in LEVELS
            continue
        assert key in BY_NAME, f"unknown policy {key}"
        validate(key, value)


@pytest.mark.parametrize(
    "entry",
    [
        {"resource": "api"},
        {"resource": "api", "reason": ""},
        {"resource": "api", "reason": "   "},
        {"reason": "no resource named"},
        {"resource": "api", "reason": "ok", "until": "2027"},
    ],
)
def test_an_exemption_without_a_written_reason_is_rejected(entry: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("pss-restricted-run-as-non-root", {"exemptions": [entry]})


@pytest.mark.parametrize("value", ["1.x", "2.0", "v1.", "1.37; rm", ""])
def test_a_pss_version_that_is_no_kubernetes_minor_is_rejected(value: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("pss", {"version": value})


@pytest.mark.parametrize("value", ["latest", "1.32", "v1.37"])
def test_pss_versions(value: str) -> None:
    validate("pss", {"version": value})
