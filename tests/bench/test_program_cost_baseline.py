"""The program-cost benchmark is only as honest as its raw baseline: it must register the
same objects, in the same dependency order, with the same secret inputs, or the ratio
compares our program with a cheaper, broken one."""

from __future__ import annotations

import pytest

from bench.program_cost import generated_estate, raw_program
from tests.support.program import Recorded, Snapshot, run_program


def _key(resource: Recorded) -> tuple[str, str, str]:
    meta = resource.manifest.get("metadata", {})
    return resource.kind, meta.get("namespace", ""), meta["name"]


def _shape(snapshot: Snapshot) -> dict[tuple[str, str, str], tuple[dict, list[str], list]]:
    """Each object's manifest, secret inputs and the objects it waits for, by identity
    (the two programs may register in a different order; the graph must be the same)."""
    objects = snapshot.kubernetes_objects()
    key_of = {r.urn: _key(r) for r in objects}
    assert len(set(key_of.values())) == len(objects)
    return {
        _key(r): (
            r.manifest,
            sorted(r.secret_paths),
            sorted(key_of[urn] for urn in r.dependencies if urn in key_of),
        )
        for r in objects
    }


@pytest.mark.parametrize("overrides", [{}, generated_estate(3)], ids=["prod", "generated"])
def test_raw_baseline_registers_the_same_objects_order_and_secrets(overrides: dict) -> None:
    components = run_program("prod", overrides=overrides)
    raw = run_program("prod", program=raw_program(components.kubernetes_objects()))

    expected, got = _shape(components), _shape(raw)
    assert len(got) == len(expected)
    assert got == expected
    # Not vacuous: the estate has ordering and secrets for the baseline to reproduce.
    assert any(waits for _, _, waits in expected.values())
    assert any(secrets for _, secrets, _ in expected.values())
    # And nothing but Kubernetes objects: no components on the raw side.
    assert not [r for r in raw.resources if not r.custom]
