"""The app.kubernetes.io/* recommended labels."""

from __future__ import annotations

MANAGED_BY = "pulumi"


def selector_labels(name: str, part_of: str) -> dict[str, str]:
    # Selectors are immutable once created: only labels that never change belong here.
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": f"{part_of}-{name}"}


def recommended_labels(name: str, component: str, part_of: str, version: str) -> dict[str, str]:
    return {
        **selector_labels(name, part_of),
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
