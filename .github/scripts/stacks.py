"""Lists the Pulumi stacks of this project as a GitHub Actions matrix.

CI previews every stack this prints. It globs the stack files instead of reading a
list so that a new Pulumi.<stack>.yaml gets its policy-checked preview on the pull
request that adds it, without anyone remembering to edit the workflow.

    python .github/scripts/stacks.py [--root DIR]   ->   {"include": [{"stack": ..., "backend": ...}]}

backend is `file` for a stack that renders its manifests to a directory (it needs no
cluster, so its state can live in the runner's workspace) and `cloud` for every other
stack (Pulumi Cloud, reached with a short-lived OIDC token).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT = "shiksha-setu"
# Pulumi's own rule for stack names, so a stray file such as Pulumi.prod.yaml.bak is not a stack.
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.ya?ml$")


def backend_of(config: dict[str, Any]) -> str:
    kube = config.get(f"{PROJECT}:kubernetes") or {}
    return "file" if isinstance(kube, dict) and kube.get("renderDirectory") else "cloud"


def discover(root: Path) -> list[dict[str, str]]:
    stacks = []
    for path in sorted(root.iterdir()):
        match = STACK_FILE.match(path.name)
        if not match or not path.is_file():
            continue
        data = yaml.safe_load(path.read_text()) or {}
        config = data.get("config") or {}
        stacks.append({"stack": match["stack"], "backend": backend_of(config)})
    return stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    stacks = discover(args.root)
    if not stacks:
        # An empty matrix makes GitHub skip the preview job, which would read as green.
        print(f"no Pulumi.<stack>.yaml in {args.root}", file=sys.stderr)
        return 1
    print(json.dumps({"include": stacks}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
