"""Estate guardrails on pod templates, with the same fixture harness as the PSS controls."""

from __future__ import annotations

import pytest
from shiksha_policies.catalog import BY_NAME

from .harness import FIXTURES, Case, pss_cases, run_rule

CASES = [c for f in sorted((FIXTURES / "workloads").glob("*.yaml")) for c in pss_cases(f)]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect_path is None], ids=lambda c: c.id)
def test_good_fixture_passes(case: Case) -> None:
    findings = run_rule(BY_NAME[case.policy], case.resource_type, case.props)
    assert findings == [], [f.render("x") for f in findings]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect_path], ids=lambda c: c.id)
def test_bad_fixture_is_flagged_at_the_field(case: Case) -> None:
    findings = run_rule(BY_NAME[case.policy], case.resource_type, case.props)
    assert case.expect_path in [f.path for f in findings]
    hit = next(f for f in findings if f.path == case.expect_path)
    assert hit.container == case.container


def test_a_probes_opt_out_is_named_in_the_finding_it_does_not_silence() -> None:
    case = next(c for c in CASES if c.name == "a declared probes opt-out is still flagged")
    findings = run_rule(BY_NAME["workload-probes"], case.resource_type, case.props)
    assert len(findings) == 2, [f.render("x") for f in findings]
    for finding in findings:
        assert (
            'declared opt-out "shiksha.io/probes-opt-out: a batch consumer; nothing listens"'
            in finding.problem
        )
    plain = next(c for c in CASES if c.name == "no readiness probe" and c.kind == case.kind)
    assert "opt-out" not in run_rule(BY_NAME["workload-probes"], plain.resource_type, plain.props)[0].problem
