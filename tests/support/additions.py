"""Whether one estate differs from another only by additions: what a stack that adds a
workload, a route or an alert may change in the objects that were already there.

An object of the baseline must still be there, and each of its values must still be there:
a mapping may gain keys, a list may gain items (an item may itself gain keys), and a text
that is YAML (prometheus.yml, a rule file) is compared the same way, parsed. Anything else
that changed is a difference the stack did not ask for. The pod templates' checksum
annotations are the one exception: they change by design when a mounted file gains lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

# Annotations that roll pods when their config files change (components/kube/workload.py).
ROLLING = ("checksum/",)


def identity(manifest: Mapping[str, Any]) -> tuple[str, str, str]:
    metadata = manifest.get("metadata", {})
    return manifest.get("kind", ""), metadata.get("namespace", "") or "", metadata.get("name", "")


def by_identity(manifests: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    found: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for manifest in manifests:
        key = identity(manifest)
        assert key not in found, f"two objects are {key}"
        found[key] = manifest
    return found


def _parsed(text: str) -> Any:
    if "\n" not in text:
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return value if isinstance(value, dict | list) else None


def not_added(old: Any, new: Any, path: str = "") -> list[str]:
    """Every way `new` differs from `old` other than by an addition, as `path: what`."""
    if isinstance(old, dict) and isinstance(new, dict):
        problems = []
        for key, value in old.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                problems.append(f"{where}: removed")
            elif not (path.endswith("annotations") and str(key).startswith(ROLLING)):
                problems += not_added(value, new[key], where)
        return problems
    if isinstance(old, list) and isinstance(new, list):
        unmatched = list(new)
        problems = []
        for index, item in enumerate(old):
            match = next((n for n in unmatched if not not_added(item, n)), None)
            if match is None:
                problems.append(f"{path}[{index}]: no item of the new list holds {item!r:.200}")
            else:
                unmatched.remove(match)
        return problems
    if isinstance(old, str) and isinstance(new, str) and old != new:
        parsed_old, parsed_new = _parsed(old), _parsed(new)
        if parsed_old is not None and parsed_new is not None:
            return not_added(parsed_old, parsed_new, f"{path}<yaml>")
    return [] if old == new else [f"{path}: {old!r:.200} became {new!r:.200}"]


def changes_beyond_additions(
    baseline: Iterable[Mapping[str, Any]], extended: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Every object of `baseline` that is missing from `extended` or changed other than by
    additions; [] when the extended estate only adds."""
    new = by_identity(extended)
    problems = []
    for key, manifest in by_identity(baseline).items():
        if key not in new:
            problems.append(f"{key}: missing")
            continue
        problems += [f"{key}: {problem}" for problem in not_added(manifest, new[key])]
    return problems
