"""Preview-time unknowns never produce a violation that the known value would not.

For every fixture, each node of the object (leaf or subtree) is replaced in turn by an
unknown; every rule's findings on the mutated object must be a subset of its findings on
the original. A crash (e.g. taking the truth value of an unknown) fails the test too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from shiksha_policies.catalog import ALL_RULES
from shiksha_policies.props import UNKNOWN, _Unknown, plain
from shiksha_policies.rule import StackResource

from .harness import FIXTURES, KINDS, expand_stack, load, pss_cases, run_rule

RESOURCE_RULES = [r for r in ALL_RULES if r.check is not None]


def nodes(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from nodes(v, (*path, i))


def replaced(obj: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(obj)
    cur = out
    for step in path[:-1]:
        cur = cur[step]
    cur[path[-1]] = UNKNOWN
    return out


def findings(rtype: str, props: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r.name, f.path) for r in RESOURCE_RULES for f in run_rule(r, rtype, props)}


def objects() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    files = sorted((FIXTURES / "pss").glob("[!_]*.yaml")) + sorted((FIXTURES / "workloads").glob("*.yaml"))
    for i, f in enumerate(files):
        cases = list(pss_cases(f))
        # One kind per fixture file, rotating, keeps the run short while covering every kind.
        kind = KINDS[i % len(KINDS)]
        for c in cases:
            if c.kind == kind:
                out.append((c.id, c.resource_type, c.props))
    for f in sorted((FIXTURES / "guardrails").glob("*.yaml")) + sorted((FIXTURES / "docker").glob("*.yaml")):
        for c in load(f)["cases"]:
            out.append((f"{f.stem}:{c['name']}", c["type"], c["props"]))
    return out


OBJECTS = objects()


@pytest.mark.parametrize(("case_id", "rtype", "props"), OBJECTS, ids=[o[0] for o in OBJECTS])
def test_an_unknown_never_adds_a_violation(case_id: str, rtype: str, props: dict[str, Any]) -> None:
    before = findings(rtype, props)
    for path in nodes(props):
        after = findings(rtype, replaced(props, path))
        added = after - before
        assert not added, f"unknown at {path} added {added}"


def test_wire_sentinels_become_unknown() -> None:
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

    props = unknown_checking_proxy(
        {
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "image": UNKNOWN_STRING_VALUE,
                        "securityContext": {"privileged": UNKNOWN_BOOLEAN_VALUE},
                    }
                ]
            }
        }
    )
    got = plain(props)
    assert isinstance(got["spec"]["containers"][0]["image"], _Unknown)
    assert isinstance(got["spec"]["containers"][0]["securityContext"]["privileged"], _Unknown)
    assert got["spec"]["containers"][0]["name"] == "a"


STACK_RULES = [r for r in ALL_RULES if r.stack_check is not None and r.name != "shiksha-exemptions-applied"]


def stack_findings(resources: list[StackResource]) -> set[tuple[str, str | None, str]]:
    return {(r.name, f.urn, f.path) for r in STACK_RULES for _, f in r.evaluate_stack(resources)}


STACK_CASES = [
    (f"{f.stem}:{c['name']}", c)
    for f in sorted((FIXTURES / "stack").glob("*.yaml"))
    for c in load(f)["cases"]
]


@pytest.mark.parametrize(("case_id", "case"), STACK_CASES, ids=[c[0] for c in STACK_CASES])
def test_an_unknown_never_adds_a_stack_violation(case_id: str, case: dict[str, Any]) -> None:
    resources = expand_stack(case["resources"])
    before = stack_findings(resources)
    for i, r in enumerate(resources):
        for path in nodes(r.props):
            mutated = list(resources)
            mutated[i] = StackResource(r.resource_type, replaced(r.props, path), r.name, r.urn)
            added = stack_findings(mutated) - before
            assert not added, f"unknown at {r.name}:{path} added {added}"


def test_an_undecidable_check_reports_nothing_through_the_pack_wrapper() -> None:
    from pulumi_policy import (
        EnforcementLevel,
        PolicyCustomTimeouts,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        Severity,
    )
    from shiksha_policies.rule import Framework, Rule

    def undecidable(subject: Any, config: Any) -> list[Any]:
        return [1] if UNKNOWN else []  # takes the truth value of an unknown

    rule = Rule(
        name="t",
        description="d",
        severity=Severity.LOW,
        remediation_steps="r",
        frameworks=(Framework("f", "r"),),
        enforcement=EnforcementLevel.MANDATORY,
        check=undecidable,
    )
    policy = rule.to_policy()
    assert isinstance(policy, ResourceValidationPolicy)
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    args = ResourceValidationArgs("kubernetes:core/v1:Pod", {}, "urn:x", "x", opts, None, {})
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy.validate(args, report)
    assert reported == []
