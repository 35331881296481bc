"""Renders every Kubernetes object (or, on the docker-host target, every Docker resource) a
stack registers, under Pulumi's mocks, to YAML files.

    python -m tools.render <stack> [--out DIR]     (make render STACK=<stack>)

The files land in rendered/<stack>-mock/NN-kind-name.yaml, one object each, in dependency
order; a Docker resource is written as its type, name and inputs (NN-container-api.yaml),
as the pulumi-docker provider would receive them. checkov scans them (scripts/checkov.sh)
and people read them in review. No engine, cluster, Docker daemon or cloud account is
involved: the objects are exactly what the program hands `pulumi up`, with the test
stand-ins of tests/support/program.py in place of the stack's secrets.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from components.values.numbers import whole_numbers
from tests.support.program import PROJECT, ROOT, run_program

_UNSAFE = re.compile(r"[^a-z0-9.-]+")
# Dependency order, as one would apply them: what others live in or refer to comes first.
# Sorting (rather than keeping registration order, which follows the resolution of
# outputs) keeps the numbering stable, so a diff of two renders shows real changes only.
KIND_ORDER = [
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "PriorityClass",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
]


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _order(manifest: dict[str, Any]) -> tuple[int, str, str, str]:
    kind = str(manifest.get("kind", ""))
    metadata = manifest.get("metadata") or {}
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, kind, str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def file_name(index: int, width: int, manifest: dict[str, Any]) -> str:
    kind = str(manifest.get("kind") or "object").lower()
    # The number alone keeps file names unique, so objects of one kind and name in two
    # namespaces need no namespace in the name.
    name = str((manifest.get("metadata") or {}).get("name") or "")
    return f"{index:0{width}d}-{_UNSAFE.sub('-', kind)}-{_UNSAFE.sub('-', name.lower()) or 'unnamed'}.yaml"


# Docker resources in the order they are created: networks and volumes, images, containers.
DOCKER_ORDER = ["Network", "Volume", "RemoteImage", "Container"]


def _docker_documents(snapshot: Any) -> list[dict[str, Any]]:
    """The Docker resources as documents with a `kind`, so they sort and name like objects."""
    documents = []
    for resource in snapshot.resources:
        if resource.custom and resource.type.startswith("docker:"):
            kind = resource.type.rsplit(":", 1)[-1]
            kind = kind[0].upper() + kind[1:]
            documents.append(
                {
                    "kind": kind,
                    "metadata": {"name": resource.name},
                    "type": resource.type,
                    "inputs": whole_numbers(resource.inputs),
                }
            )
    return sorted(
        documents,
        key=lambda d: (
            DOCKER_ORDER.index(d["kind"]) if d["kind"] in DOCKER_ORDER else len(DOCKER_ORDER),
            d["metadata"]["name"],
        ),
    )


def render(stack: str, out_dir: Path, overrides: dict[str, Any] | None = None) -> list[Path]:
    """Writes the stack's objects to out_dir, replacing whatever an earlier render left there
    (a stale file of a removed object would otherwise still be scanned). `overrides` replace
    top-level config keys of the stack, as in tests/support/program.py."""
    snapshot = run_program(stack, overrides=overrides)
    manifests = sorted((whole_numbers(obj.manifest) for obj in snapshot.kubernetes_objects()), key=_order)
    manifests += _docker_documents(snapshot)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    width = max(2, len(str(len(manifests))))
    written = []
    for index, manifest in enumerate(manifests, start=1):
        path = out_dir / file_name(index, width, manifest)
        path.write_text(yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False))
        written.append(path)
    return written


def is_stack(stack: str) -> bool:
    """Whether Pulumi.<stack>.yaml exists; when not, says so and names the stacks that do."""
    known = stacks()
    if stack not in known:
        print(
            f"no stack {stack!r}: Pulumi.{stack}.yaml not found (stacks: {', '.join(known)})", file=sys.stderr
        )
    return stack in known


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="the <stack> of a Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, help="output directory (default rendered/<stack>-mock)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=YAML",
        help="replace the stack's top-level config KEY by a YAML value, e.g. 'ingress={mode: ingress-nginx}'",
    )
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        key, equals, value = item.partition("=")
        if not equals or not key:
            print(f"--set {item!r}: expected KEY=YAML", file=sys.stderr)
            return 2
        overrides[f"{PROJECT}:{key}"] = yaml.safe_load(value)
    if not is_stack(args.stack):
        return 2
    out_dir = args.out or ROOT / "rendered" / f"{args.stack}-mock"
    started = time.monotonic()
    written = render(args.stack, out_dir, overrides)
    print(
        f"rendered {len(written)} objects of stack {args.stack} to {out_dir} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
