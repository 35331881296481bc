"""Every Pod Security Standards control: good and bad fixtures over every pod-bearing kind
and each container list, with the exact field path the violation must name."""

from __future__ import annotations

from pathlib import Path

import pytest
from shiksha_policies.catalog import BY_NAME
from shiksha_policies.kube import CONTAINER_LISTS
from shiksha_policies.pod_security import RULES

from .harness import FIXTURES, KINDS, Case, pss_cases, run_rule

# The table: one policy per control, exactly these names.
EXPECTED_NAMES = {
    "pss-baseline-host-process",
    "pss-baseline-host-namespaces",
    "pss-baseline-privileged",
    "pss-baseline-capabilities",
    "pss-baseline-host-path",
    "pss-baseline-host-ports",
    "pss-baseline-apparmor",
    "pss-baseline-selinux",
    "pss-baseline-proc-mount",
    "pss-baseline-host-probes",
    "pss-baseline-seccomp",
    "pss-baseline-sysctls",
    "pss-restricted-volume-types",
    "pss-restricted-privilege-escalation",
    "pss-restricted-run-as-non-root",
    "pss-restricted-run-as-non-root-user",
    "pss-restricted-seccomp",
    "pss-restricted-capabilities",
    "pss-restricted-proc-mount",
}
FIXTURE_FILES = sorted(p for p in (FIXTURES / "pss").glob("*.yaml") if not p.name.startswith("_"))
CASES = [c for f in FIXTURE_FILES for c in pss_cases(f)]


def test_the_pack_has_exactly_the_pss_controls() -> None:
    assert {r.name for r in RULES} == EXPECTED_NAMES


def test_every_control_has_a_fixture_file() -> None:
    import yaml

    covered = {yaml.safe_load(Path(f).read_text())["policy"] for f in FIXTURE_FILES}
    assert covered == EXPECTED_NAMES


def test_fixtures_cover_every_kind_and_every_container_list() -> None:
    for name in EXPECTED_NAMES:
        bad = [c for c in CASES if c.policy == name and c.expect_path]
        good = [c for c in CASES if c.policy == name and not c.expect_path]
        assert {c.kind for c in bad} == set(KINDS), name
        assert {c.kind for c in good} == set(KINDS), name
    container_controls = {c.policy for c in CASES if c.container and c.container_list != "containers"}
    for name in container_controls:
        lists = {c.container_list for c in CASES if c.policy == name and c.expect_path}
        assert lists == set(CONTAINER_LISTS), name


@pytest.mark.parametrize("case", [c for c in CASES if c.expect_path is None], ids=lambda c: c.id)
def test_good_fixture_passes(case: Case) -> None:
    findings = run_rule(BY_NAME[case.policy], case.resource_type, case.props)
    assert findings == [], [f.render("x") for f in findings]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect_path], ids=lambda c: c.id)
def test_bad_fixture_is_flagged_at_the_field(case: Case) -> None:
    findings = run_rule(BY_NAME[case.policy], case.resource_type, case.props)
    paths = [f.path for f in findings]
    assert case.expect_path in paths, paths
    hit = next(f for f in findings if f.path == case.expect_path)
    if case.container:
        assert hit.container == case.container
    message = hit.render("Deployment shiksha-setu/demo")
    assert case.expect_path in message and "shiksha-setu/demo" in message


def test_declared_opt_out_is_named_but_the_field_is_still_judged() -> None:
    from .harness import BASE, merge, wrap

    pod = merge(
        BASE["pod"],
        {
            "containers": [
                merge(BASE["pod"]["containers"][0], {"securityContext": {"readOnlyRootFilesystem": False}})
            ]
        },
    )
    rtype, props = wrap(
        "Deployment",
        pod,
        annotations={"shiksha.io/security-opt-out": "readOnlyRootFilesystem: nginx writes its pid file"},
    )
    (finding,) = run_rule(BY_NAME["workload-read-only-root-filesystem"], rtype, props)
    assert finding.path == "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
    assert "nginx writes its pid file" in finding.problem
