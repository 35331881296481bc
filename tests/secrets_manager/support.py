"""The estate with `secrets.source: external`, as the real program registers it under mocks."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tests.ingress.support import crd_schemas
from tests.network.analyzer import plain
from tests.support.program import Snapshot, run_program

DATA = Path(__file__).parent / "data"
VAULT: dict[str, Any] = {
    "source": "external",
    "backend": "vault",
    "vault": {"server": "https://vault.example.org:8200", "role": "shiksha-setu"},
}
AWS: dict[str, Any] = {
    "source": "external",
    "backend": "aws",
    "aws": {"region": "ap-south-1", "role": "arn:aws:iam::123456789012:role/shiksha-setu-secrets"},
}
LOGGING: dict[str, Any] = {
    "enabled": True,
    "endpoint": "https://loki.example.org/otlp/v1/logs",
    "endpointCidrs": ["203.0.113.0/24"],
    "username": "123456",
    "tenant": "shiksha-setu",
}


BACKENDS = {"vault": VAULT, "aws": AWS}


@cache
def external_estate(backend: str, logging: bool = False, stack: str = "prod") -> Snapshot:
    """No secret value is given to the program at all: the run proves none is needed."""
    overrides: dict[str, Any] = {"shiksha-setu:secrets": BACKENDS[backend]}
    if logging:
        overrides["shiksha-setu:logging"] = LOGGING
    return run_program(stack, overrides=overrides, secrets={})


def objects(snapshot: Snapshot, kind: str) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["metadata"]["name"]: plain(r.manifest)
        for r in snapshot.kubernetes_objects()
        if r.kind == kind
    }


@cache
def eso_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    return crd_schemas(DATA)


def validate_eso(obj: dict[str, Any]) -> None:
    """Strict validation against the operator's own CRD schema of the object's version."""
    group, version = obj["apiVersion"].split("/")
    schema = eso_schemas().get((group, version, obj["kind"]))
    if schema is None:
        raise LookupError(f"no CRD schema shipped for {obj['apiVersion']} {obj['kind']}")
    jsonschema.Draft7Validator(schema).validate(obj)
