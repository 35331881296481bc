"""The whole prod and local estates pass the pack with zero mandatory violations.

The estate is what the real program registers under Pulumi mocks (tests/support/program.py),
sent to the pack over its gRPC interface exactly as the engine would send it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from typing import Any

import pytest

from .pack_client import PackProcess, engine_resources

program = pytest.importorskip("tests.support.program", reason="tests/support/program.py is not available yet")

pytestmark = pytest.mark.timeout(600)
STACKS = ["prod", "local"]


@functools.cache
def estate(stack: str) -> list[tuple[str, dict[str, Any], str]]:
    """(type, inputs, name) of every custom resource the program registers for a stack."""
    run = getattr(program, "run_program", None) or program.snapshot
    snap = run(stack)
    return engine_resources(getattr(snap, "resources", snap))


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        p.configure({})
        yield p


@pytest.mark.parametrize("stack", STACKS)
def test_estate_has_no_mandatory_violation(pack: PackProcess, stack: str) -> None:
    resources = estate(stack)
    assert resources, f"the {stack} estate registered no resources"
    mandatory = []
    for rtype, props, name in resources:
        mandatory += [d for d in pack.analyze(rtype, props, name) if d["level"] == "mandatory"]
    mandatory += [d for d in pack.analyze_stack(resources) if d["level"] == "mandatory"]
    assert mandatory == [], "\n".join(f"[{d['policy']}] {d['message']}" for d in mandatory)


@pytest.mark.parametrize("stack", STACKS)
def test_estate_workloads_are_judged(pack: PackProcess, stack: str) -> None:
    """Guards the test above against passing vacuously: a copy of an estate workload with
    privilege escalation allowed must be caught."""
    workloads = [
        (t, p, n)
        for t, p, n in estate(stack)
        if t in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
    ]
    if not workloads:
        pytest.skip(f"the {stack} estate has no Kubernetes workloads (docker-host target)")
    rtype, props, name = workloads[0]
    broken = copy.deepcopy(props)
    broken["spec"]["template"]["spec"]["containers"][0].setdefault("securityContext", {})[
        "allowPrivilegeEscalation"
    ] = True
    diags = pack.analyze(rtype, broken, name)
    assert any(
        d["policy"] == "pss-restricted-privilege-escalation" and d["level"] == "mandatory" for d in diags
    )
