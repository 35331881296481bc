"""The estate with `secrets.source: external`, as the real program registers it under mocks."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from components.values.numbers import whole_numbers
from tests.ingress.support import validate_custom_resource
from tests.logging.support import LOGGING
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


BACKENDS = {"vault": VAULT, "aws": AWS}
# Read replicas and the cache role, and an API that uses both: every secret-derived value.
DATASTORES: dict[str, Any] = {
    "shiksha-setu:postgres": {"readReplicas": 1},
    "shiksha-setu:workloads": {
        "redis-cache": {"enabled": True},
        "api": {"connectsTo": ["postgres", "postgres-ro", "redis", "redis-cache", "vllm"]},
    },
}


@cache
def external_estate(backend: str, logging: bool = False, stack: str = "prod") -> Snapshot:
    """No secret value is given to the program at all: the run proves none is needed."""
    overrides: dict[str, Any] = {"shiksha-setu:secrets": BACKENDS[backend]}
    if logging:
        overrides["shiksha-setu:logging"] = LOGGING
    return run_program(stack, overrides=overrides, secrets={})


def objects(snapshot: Snapshot, kind: str) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["metadata"]["name"]: whole_numbers(r.manifest)
        for r in snapshot.kubernetes_objects()
        if r.kind == kind
    }


def validate_eso(obj: dict[str, Any]) -> None:
    """Strict validation against the operator's own CRD schema of the object's version."""
    validate_custom_resource(obj, DATA)
