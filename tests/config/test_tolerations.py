"""The gate on `workloads.<name>.tolerations` and `workloads.<name>.gpu.tolerations`: each case
of tests/config/tolerations.py gets its hand-written verdict, the refusal naming the key
below the toleration; an accepted toleration reaches the pod template as written. The same
cases go to the real kube-apiserver in tests/apiserver/test_tolerations.py."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.kube.pod import _scheduling
from tests.config import apiserver_rules
from tests.config.tolerations import CASES, Case

P = "shiksha-setu"


def _gate(where: str, toleration: dict[str, Any]) -> ConfigError | None:
    workload = {"tolerations": [{"key": "ok.example.com/first"}, toleration]}
    if where == "gpu":
        workload = {"gpu": {"tolerations": workload["tolerations"]}}
    try:
        parse_estate({"workloads": {"vllm": workload}})
    except ConfigError as error:
        return error
    return None


@pytest.mark.parametrize("where", ["workload", "gpu"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_gate_gives_each_toleration_its_verdict(case: Case, where: str) -> None:
    error = _gate(where, case.toleration)
    if case.refused is None:
        assert error is None, f"{case.toleration} refused: {error}"
        return
    assert error is not None, f"{case.toleration} accepted; the API server or the estate refuses it"
    field, words = case.refused
    # The second toleration of the list: the index is part of the key.
    base = "workloads.vllm." + ("gpu.tolerations" if where == "gpu" else "tolerations")
    key = f"{P}:{base}[1].{field}"
    matching = [p for p in error.problems if p.startswith(f"{key}:")]
    assert matching, f"no problem names {key}: {error.problems}"
    assert any(words in p for p in matching), matching
    assert len(error.problems) == 1, error.problems


@pytest.mark.parametrize("case", [c for c in CASES if c.refused is None], ids=lambda c: c.name)
def test_an_accepted_toleration_reaches_the_pod_as_written(case: Case) -> None:
    config = parse_estate({"workloads": {"api": {"tolerations": [case.toleration]}}})
    (rendered,) = _scheduling(config.workloads["api"], {"app": "api"})["tolerations"]
    # The estate's default effect is explicit; everything the user wrote is there unchanged.
    assert rendered == {"effect": "NoSchedule", "operator": "Exists", **case.toleration}
    assert list(apiserver_rules.toleration_problems(rendered)) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_api_server_rules_oracle_agrees_with_the_gate(case: Case) -> None:
    """apiserver_rules (the property test's oracle) judges the toleration as written; it may
    only be laxer than the gate where the estate is stricter on purpose."""
    oracle = list(apiserver_rules.toleration_problems(case.toleration))
    if case.refused is None or case.stricter:
        assert oracle == [], oracle
    else:
        assert oracle, f"the oracle lets {case.toleration} through"
