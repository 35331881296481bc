"""`--dist loadgroup` under pytest 9: pytest-xdist 3.8.0 marks a test's group by appending
`@<group>` to `item._nodeid`, but pytest 9.2 derives `nodeid` from the structured `item._id`,
so the suffix never reaches the scheduler and every test of a group may land on another
worker (module fixtures started twice, and a test that reads what an earlier test of its
group left, such as tests/clients' grants check, sees only part of it). This writes the same
suffix where pytest 9 reads it, exactly as xdist means it; it does nothing where xdist's own
suffix took (pytest 8), without xdist, or when the run is not `--dist loadgroup`."""

from __future__ import annotations

import pytest
from _pytest.nodeid import NodeId  # pytest 9's structured node id: the seam this fills


def group_suffix(item: pytest.Item) -> str | None:
    """xdist's suffix for the item: its xdist_group names, sorted, joined by '_'."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) if names else None


def apply_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        suffix = group_suffix(item)
        if suffix is not None and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{suffix}")
