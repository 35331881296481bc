"""Docker: built images carry the OCI image labels.

docker-build Images and RemoteImage builds carry labels as inputs; the classic
docker Image has none, so its Dockerfile's LABEL lines are read when the file is reachable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..props import as_dict, get, is_unknown
from ..rule import Finding, Rule, Subject
from ._common import BUILD_IMAGE, ESTATE_COMPOSE, IMAGE, REMOTE_IMAGE

REQUIRED_LABELS = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.version",
]
_LABEL_KEY = re.compile(r"([A-Za-z0-9_.\-]+)\s*=")


def dockerfile_labels(path: str) -> set[str] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return None
    text = re.sub(r"\\\n", " ", text)
    keys: set[str] = set()
    for line in text.splitlines():
        if line.strip().upper().startswith("LABEL "):
            keys |= {k.strip("\"'") for k in _LABEL_KEY.findall(line.strip()[6:])}
    return keys


def _labels(subject: Subject) -> tuple[str, Any] | None:
    p = subject.props
    if subject.resource_type == BUILD_IMAGE:
        return "labels", p.get("labels")
    if subject.resource_type == REMOTE_IMAGE:
        build = get(p, "build")
        if not isinstance(build, dict):
            return None  # a pulled image, not built here
        merged: dict[str, Any] = {}
        for field in ("label", "labels"):
            d = as_dict(build.get(field))
            if is_unknown(d):
                return "build.labels", d
            merged.update(d)
        return "build.labels", merged
    if subject.resource_type == IMAGE:
        build = get(p, "build")
        if not isinstance(build, dict):
            return None
        context = build.get("context")
        context = context if isinstance(context, str) else "."
        dockerfile = build.get("dockerfile")
        dockerfile = dockerfile if isinstance(dockerfile, str) else "Dockerfile"
        path = dockerfile if os.path.isabs(dockerfile) else os.path.join(context, dockerfile)
        found = dockerfile_labels(path) if os.path.exists(path) else dockerfile_labels(dockerfile)
        if found is None:
            return None  # the Dockerfile is not reachable from here; nothing to judge
        return "build.dockerfile LABEL", {k: "" for k in found}
    return None


def check(subject: Subject, config: Mapping[str, Any]) -> Iterator[Finding]:
    got = _labels(subject)
    if got is None:
        return
    path, labels = got
    if is_unknown(labels):
        return
    labels = labels if isinstance(labels, dict) else {}
    required = config.get("requiredLabels") or REQUIRED_LABELS
    missing = [k for k in required if k not in labels]
    if missing:
        yield Finding(path, "lacks " + ", ".join(missing))


RULE = Rule(
    name="docker-image-oci-labels",
    description="Built images must carry the OCI image labels (source, revision, version).",
    severity=Severity.LOW,
    remediation_steps="Set labels org.opencontainers.image.source, .revision and .version on the "
    "build (docker-build Image labels, or LABEL lines in the Dockerfile).",
    frameworks=(ESTATE_COMPOSE,),
    check=check,
    applies_to=lambda t: t in (BUILD_IMAGE, REMOTE_IMAGE, IMAGE),
    extra_config={
        "requiredLabels": {
            "type": "array",
            "items": {"type": "string"},
            "default": REQUIRED_LABELS,
            "description": "Labels every built image must carry.",
        }
    },
    tags=("docker", "supply-chain"),
)
