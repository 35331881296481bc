"""Reading the edge objects from a snapshot, and validating custom resources against the
CRD schemas shipped in tests/ingress/data (no network at test time)."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from components.values.numbers import whole_numbers
from tests.support.program import Snapshot

DATA = Path(__file__).parent / "data"
EDGE_COMPONENT = "shiksha:index:IngressWithHeaders"


def edge_objects(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The registered objects of the edge component, numbers as integers."""
    return [
        whole_numbers(r.manifest) for r in snapshot.kubernetes_objects() if EDGE_COMPONENT in r.parent_types
    ]


def by_kind(snapshot: Snapshot, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in edge_objects(snapshot) if o["kind"] == kind}


def _strict(schema: Any) -> Any:
    """Unknown fields are errors, as with `kubectl apply --validate=strict`: every object
    schema that lists its properties and does not keep unknown fields gets
    additionalProperties: false."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def crd_schemas(directory: Path = DATA) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> the version's openAPIV3Schema, made strict, of the CRDs in
    `directory` (the edge's by default)."""
    schemas = {}
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                key = (spec["group"], version["name"], spec["names"]["kind"])
                schemas[key] = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    return schemas


def validate_custom_resource(obj: dict[str, Any], directory: Path = DATA) -> None:
    """Raises jsonschema.ValidationError; a kind without a shipped CRD (in `directory`, the
    edge's by default) is an error too."""
    group, version = obj["apiVersion"].split("/")
    schema = crd_schemas(directory).get((group, version, obj["kind"]))
    if schema is None:
        raise LookupError(f"no CRD schema shipped for {obj['apiVersion']} {obj['kind']}")
    jsonschema.Draft7Validator(schema).validate(obj)


# Common attack paths (the changelog's exploit blocking), answered by the edge itself.
BLOCKED = [
    "/wp-admin",
    "/wp-login.php",
    "/phpmyadmin",
    "/phpMyAdmin",
    "/.env",
    "/.git",
    "/.svn",
    "/.htaccess",
    "/xmlrpc.php",
    "/cgi-bin",
    "/server-status",
]
