"""The project's policy pack judges the docker-host estate: no finding at any level, and
the same pack does flag a container loosened on purpose (so the check can fail)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.policies.pack_client import PackProcess
from tests.support.program import run_program

pytestmark = pytest.mark.timeout(600)
Resource = tuple[str, dict[str, Any], str]


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    snapshot = run_program(
        "prod",
        overrides={
            "shiksha-setu:target": "docker-host",
            "shiksha-setu:dockerHost": {"loopbackPorts": {"postgres": 5432, "redis": 6379}},
        },
    )
    return [
        (
            r.type,
            json.loads(
                json.dumps({k: v for k, v in r.inputs.items() if not k.startswith("__")}, default=str)
            ),
            r.name,
        )
        for r in snapshot.resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    ]


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as process:
        process.configure({})
        yield process


def test_docker_host_estate_passes_the_pack(pack: PackProcess, resources: list[Resource]) -> None:
    assert any(t == "docker:index/container:Container" for t, _, _ in resources)
    findings = [d for t, props, name in resources for d in pack.analyze(t, props, name)]
    findings += pack.analyze_stack(resources)
    assert findings == [], "\n".join(f"[{d['policy']}] {d['message']}" for d in findings)


def test_the_pack_flags_a_loosened_datastore(pack: PackProcess, resources: list[Resource]) -> None:
    rtype, props, name = next(r for r in resources if r[2] == "postgres")
    loosened = {
        **props,
        "readOnly": False,
        "securityOpts": [],
        "ports": [{"internal": 5432, "external": 5432, "ip": "0.0.0.0"}],
    }
    policies = {d["policy"] for d in pack.analyze(rtype, loosened, name)}
    assert {"docker-read-only-rootfs", "docker-no-new-privileges", "docker-datastore-ports-local"} <= policies
