"""The app.kubernetes.io/* recommended labels."""

from __future__ import annotations

MANAGED_BY = "pulumi"


def selector_labels(name: str, part_of: str) -> dict[str, str]:
    # Selectors are immutable once created: only labels that never change belong here.
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": f"{part_of}-{name}"}


def recommended_labels(name: str, component: str, part_of: str, version: str | None) -> dict[str, str]:
    """`version` is what runs (an image's tag, components/config/images.py), or None when
    nothing says it (an image pinned by digest alone): no label rather than a wrong one."""
    labels = {
        **selector_labels(name, part_of),
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    return {key: value for key, value in labels.items() if value is not None}
