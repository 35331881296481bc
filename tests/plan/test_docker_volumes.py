"""The docker host's named volumes are listed once (components/plan/volumes.py): what the
plan checks is what DockerHost registers, and two of one name are refused naming the key."""

from __future__ import annotations

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.plan.estate import plan
from components.plan.volumes import docker_volumes
from tests.plan.test_plan import REPORTS
from tests.support.program import run_program

VOLUME = "docker:index/volume:Volume"


def test_the_plans_volumes_are_the_volumes_docker_host_registers() -> None:
    """Secret-file volumes included: a volume made anywhere else would escape the check."""
    snapshot = run_program("prod", overrides={"target": "docker-host"})
    registered = sorted(r.inputs["name"] for r in snapshot.of_type(VOLUME))
    config = parse_estate({"target": "docker-host"})
    planned = sorted(
        v.name for w in plan(config).platform.values() for v in docker_volumes(w, config.docker_host)
    )
    assert registered == planned
    assert "shiksha-postgres-credentials" in planned and "shiksha-redis-auth" in planned


def test_two_workloads_whose_volumes_share_a_name_are_refused_at_both_keys() -> None:
    # reports + /cache-x and reports-cache + /x are both `shiksha-reports-cache-x`.
    values = {
        "target": "docker-host",
        "workloads": {
            "reports": {**REPORTS, "writablePaths": ["/tmp", "/cache-x"]},
            "reports-cache": {**REPORTS, "connectsTo": [], "writablePaths": ["/tmp", "/x"]},
        },
        "dockerHost": {"volumePaths": {"reports": ["/cache-x"], "reports-cache": ["/x"]}},
    }
    # The gate's plan checks (components/plan/checks.py), before anything is registered.
    with pytest.raises(ConfigError) as refused:
        parse_estate(values)
    assert [p.split(": ")[:2] for p in refused.value.problems] == [
        ["shiksha-setu:dockerHost.volumePaths.reports", "got '/cache-x'"],
        ["shiksha-setu:dockerHost.volumePaths.reports-cache", "got '/x'"],
    ]
    assert "'shiksha-reports-cache-x'" in str(refused.value)
    # The Kubernetes target has no such volumes: the same workloads pass and plan there.
    plan(parse_estate({**values, "target": "kubernetes"}))
