"""YAML text for the rendered configuration files."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's emitter is about ten times faster than the pure-Python one, and rendering the
# monitoring configs is most of the program's own work at small estate sizes.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: Any, width: int = 1000) -> str:
    """Keys in the order they were built (the order a reader expects), long lines unwrapped."""
    return str(yaml.dump(data, Dumper=_DUMPER, sort_keys=False, width=width))
