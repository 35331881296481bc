"""The base model every part of the estate's configuration derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class StrictModel(BaseModel):
    """Stack config uses Pulumi's camelCase keys; unknown keys are errors, never ignored.

    Python code builds models by field name; the loader validates stack config by alias
    only, so a snake_case twin (`connects_to`) is refused there. No float is NaN or
    infinite. The value kinds themselves live in types.py."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
        str_strip_whitespace=False,
        allow_inf_nan=False,
    )
