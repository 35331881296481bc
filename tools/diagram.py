"""Draws a stack's estate (allowed connections and edge routes) as an SVG with Graphviz.

    python -m tools.diagram [stack] [--out docs/estate.svg]      (make diagram)

Reads Pulumi.<stack>.yaml (secrets are not needed: a drawing holds no secret), validates it
like the program does, turns the planned NetworkPolicies into a graph
(components/views/diagram.py) and runs `dot -Tsvg`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from components.config.loader import PROJECT, _decode, parse_estate
from components.views.diagram import estate_graph, to_dot

ROOT = Path(__file__).resolve().parents[1]


def stack_values(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The stack file's own keys, as the engine hands them to the program (secrets left out)."""
    data = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text()) or {}
    values = {}
    for key, value in (data.get("config") or {}).items():
        project, _, name = key.partition(":")
        if project != PROJECT or (isinstance(value, dict) and "secure" in value):
            continue
        values[name] = _decode(value)
    return values


def dot_text(stack: str, root: Path = ROOT) -> str:
    return to_dot(estate_graph(parse_estate(stack_values(stack, root))))


def render_svg(dot: str, dot_binary: str = "dot") -> bytes:
    result = subprocess.run(
        [dot_binary, "-Tsvg"], check=False, input=dot.encode(), capture_output=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"dot failed ({result.returncode}): {result.stderr.decode()}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stack", nargs="?", default="prod")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "estate.svg")
    args = parser.parse_args(argv)
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` is not installed (Debian package graphviz)", file=sys.stderr)
        return 1
    started = time.monotonic()
    svg = render_svg(dot_text(args.stack), dot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(svg)
    print(f"diagram: {args.stack} -> {args.out} ({len(svg)} bytes, {time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
