"""Numbers as they come back from Pulumi's wire: every number crosses it as a protobuf
double (a Struct's only number type), so an integer the program or a YAML consumer wrote
(runAsUser 1000, replicas 2) arrives as 1000.0 / 2.0, which Kubernetes and the strict
models refuse for an integer field."""

from typing import Any


def whole_numbers(value: Any) -> Any:
    """`value` with each whole float turned back into an int, inside dicts and lists too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value
