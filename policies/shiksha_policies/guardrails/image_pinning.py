"""Guardrail: images pinned by digest or an explicit version tag."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..images import pinning_problem
from ..kube import PodView, is_pod_type
from ..pod_security._common import on_pods
from ..rule import Finding, Rule
from ._common import ESTATE, nsa


def check(pod: PodView) -> Iterator[Finding]:
    for c in pod.containers():
        image = c.body.get("image")
        if not isinstance(image, str):
            if image is None and not pod.partial:
                yield Finding(c.at("image"), "is unset; must name a pinned image", c.name)
            continue
        problem = pinning_problem(image)
        if problem:
            yield Finding(c.at("image"), problem, c.name)


RULE = Rule(
    name="workload-image-pinned",
    description="Container images must be pinned by digest or an explicit version tag.",
    severity=Severity.MEDIUM,
    remediation_steps="Use image: <repo>:<version> or <repo>@sha256:<digest>; never latest or untagged.",
    frameworks=(nsa("Supply chain: use trusted, immutable images"), ESTATE),
    check=on_pods(check, ("spec.container.image",)),
    applies_to=is_pod_type,
    tags=("workload", "supply-chain"),
)
