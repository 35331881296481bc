"""A fast differential against Kubernetes' own Pod Security code, without a control plane.

tests/policies/psa_eval is a few lines of Go around k8s.io/pod-security-admission v0.37.2
(`policy.NewEvaluator(policy.DefaultChecks())`, the code the API server's admission runs).
The same hypothesis pods as tests/apiserver/test_pss_differential.py are judged by it and
by the pack at latest, v1.34 and v1.32; the verdicts must agree. It also judges pods the
API server would refuse as invalid, so it checks the controls' logic on more shapes.

Opt-in (the Go build takes minutes): build once and point SHIKSHA_PSA_EVAL at it:
    (cd tests/policies/psa_eval && nice go build -o /tmp/psa-eval .)
    SHIKSHA_PSA_EVAL=/tmp/psa-eval SHIKSHA_PSS_EXAMPLES=3000 pytest tests/policies/test_pss_library.py
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.apiserver.test_pss_differential import HOST_POD_SPEC, examples, pack_verdict

EVAL = os.environ.get("SHIKSHA_PSA_EVAL")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not EVAL, reason="set SHIKSHA_PSA_EVAL to a built tests/policies/psa_eval"),
]
VERSIONS = (("latest", "latest"), ("1.34", "v1.34"), ("1.32", "v1.32"))


@pytest.fixture(scope="module")
def psa() -> Iterator[Any]:
    assert EVAL
    proc = subprocess.Popen([EVAL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin and proc.stdout

    def judge(spec: dict[str, Any], annotations: dict[str, str], level: str, version: str) -> dict[str, Any]:
        assert proc.stdin and proc.stdout
        line = {"spec": spec, "annotations": annotations, "level": level, "version": version}
        proc.stdin.write(json.dumps(line) + "\n")
        proc.stdin.flush()
        return dict(json.loads(proc.stdout.readline()))

    yield judge
    proc.stdin.close()
    proc.wait(timeout=30)


@settings(
    max_examples=int(os.environ.get("SHIKSHA_PSS_EXAMPLES", "300")),
    deadline=None,
    derandomize=os.environ.get("SHIKSHA_PSS_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(examples)
def test_the_pack_agrees_with_the_pod_security_library(psa: Any, example: tuple[str, Any]) -> None:
    shape, value = example
    if shape == "pod":
        spec, annotations = value
    else:
        spec, annotations = {**HOST_POD_SPEC, "ephemeralContainers": [value]}, {}
    for pack_version, psa_version in VERSIONS:
        verdict = pack_verdict(spec, annotations, pack_version)
        for level in ("baseline", "restricted"):
            answer = psa(spec, annotations, level, psa_version)
            assert "error" not in answer, answer
            assert answer["allowed"] == (not verdict[level]), (
                f"{level}@{psa_version}: library {answer}, pack {verdict[level] or 'allows'}"
            )
