"""app.kubernetes.io/version says the version of what runs: the workload's own image tag."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.config.images import label_version
from tests.support.program import Snapshot, run_program

P = "shiksha-setu"
VERSION = "app.kubernetes.io/version"
DIGEST = "sha256:" + "ab" * 32
# The API server's rule for a label value (k8s.io/apimachinery validation.IsValidLabelValue).
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def _labels(snapshot: Snapshot, kind: str, name: str) -> dict[str, str]:
    obj = snapshot.one(kind, name).inputs
    return dict(obj["spec"]["template"]["metadata"]["labels"])


def test_each_workload_carries_its_own_images_tag(prod: Snapshot) -> None:
    assert _labels(prod, "Deployment", "api")[VERSION] == "4.1.0"  # ghcr.io/shiksha-setu/backend:4.1.0
    assert _labels(prod, "Deployment", "vllm")[VERSION] == "v0.6.3"  # vllm-openai:v0.6.3
    assert _labels(prod, "StatefulSet", "postgres")[VERSION] == "16.4-bookworm"
    prometheus = prod.one("StatefulSet", "prometheus").inputs
    image = prometheus["spec"]["template"]["spec"]["containers"][0]["image"]
    tag = image.split("@")[0].rsplit(":", 1)[1]
    assert _labels(prod, "StatefulSet", "prometheus")[VERSION] == tag != "4.1.0"


def _notifier(reference: str) -> Snapshot:
    workload = {"component": "notifier", "image": "notifier", "ports": {"http": 8080}, "resources": RESOURCES}
    overrides: dict[str, Any] = {
        f"{P}:workloads": {"notifier": workload},
        f"{P}:images": {"pinned": {"notifier": reference}},
    }
    return run_program("prod", overrides=overrides)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("ghcr.io/shiksha-setu/notifier:1.0.0", "1.0.0"),
        (f"ghcr.io/shiksha-setu/notifier:1.0.0@{DIGEST}", "1.0.0"),
        (f"ghcr.io/shiksha-setu/notifier@{DIGEST}", None),
    ],
    ids=["tag", "tag-and-digest", "digest-only"],
)
def test_a_new_workload_is_labelled_with_its_image_not_the_estate(
    reference: str, expected: str | None
) -> None:
    labels = _labels(_notifier(reference), "Deployment", "notifier")
    assert labels.get(VERSION) == expected, labels
    assert labels["app.kubernetes.io/name"] == "notifier"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("_1.0", "1.0"),
        ("1.0-", "1.0"),
        ("1.0.", "1.0"),
        ("___", None),
        ("-._-", None),
        ("v" + "1" * 127, "v" + "1" * 62),
        ("a" * 62 + "-" + "b" * 65, "a" * 62),
        ("1__2..3--4", "1__2..3--4"),
    ],
)
def test_any_tag_the_reference_grammar_allows_becomes_a_valid_label_value(
    tag: str, expected: str | None
) -> None:
    value = label_version(f"registry.example.org/team/app:{tag}@{DIGEST}")
    assert value == expected
    if value is not None:
        assert len(value) <= 63 and LABEL_VALUE.fullmatch(value), value
