"""The datastore files each target renders, taken from the real program run under mocks.

Both targets come out in one shape, a command line and the files at their container paths,
so the same server tests judge what Kubernetes mounts and what docker-host writes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.support.program import Snapshot, run_program

CONTAINER = "docker:index/container:Container"
_WRITE = re.compile(r'^printf "%s" "\$(SHIKSHA_FILE_\d+)" > (.+)$')


@dataclass(frozen=True)
class Rendered:
    """One datastore container: its command line (image entrypoint excluded) and its files."""

    command: list[str]
    files: dict[str, str]
    env: dict[str, str]

    def file_under(self, directory: str) -> dict[str, str]:
        return {p: c for p, c in self.files.items() if p.startswith(directory.rstrip("/") + "/")}


def _kubernetes(snapshot: Snapshot, workload: str) -> Rendered:
    workload_object = next(
        r
        for r in snapshot.kubernetes_objects()
        if r.kind in ("StatefulSet", "Deployment") and r.inputs["metadata"]["name"] == workload
    )
    pod = workload_object.inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    data: dict[str, Mapping[str, str]] = {}
    for r in snapshot.kubernetes_objects():
        if r.kind == "ConfigMap":
            data[f"configMap/{r.inputs['metadata']['name']}"] = r.inputs.get("data", {})
        elif r.kind == "Secret":
            data[f"secret/{r.inputs['metadata']['name']}"] = r.inputs.get("stringData", {})
    sources = {}
    for volume in pod["volumes"]:
        if "configMap" in volume:
            sources[volume["name"]] = data[f"configMap/{volume['configMap']['name']}"]
        elif "secret" in volume:
            sources[volume["name"]] = data[f"secret/{volume['secret']['secretName']}"]
    files = {}
    for mount in container["volumeMounts"]:
        for key, content in sources.get(mount["name"], {}).items():
            files[f"{mount['mountPath']}/{key}"] = content
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = data[f"secret/{ref['name']}"][ref["key"]]
    return Rendered([*container.get("command", []), *container.get("args", [])], files, env)


def _docker_host(snapshot: Snapshot, workload: str) -> Rendered:
    container = next(r for r in snapshot.of_type(CONTAINER) if r.name == workload)
    env = dict(item.split("=", 1) for item in container.inputs["envs"])
    entrypoints = container.inputs.get("entrypoints") or []
    script = entrypoints[2] if entrypoints[:2] == ["/bin/sh", "-c"] else ""
    files = {}
    for step in script.split(" && "):
        match = _WRITE.match(step)
        if match:
            (path,) = shlex.split(match.group(2))
            files[path] = env.pop(match.group(1))
    for upload in container.inputs.get("uploads") or []:
        files[upload["file"]] = upload["content"]
    return Rendered(list(container.inputs["command"]), files, env)


def rendered_all(
    target: str,
    workloads: tuple[str, ...],
    overrides: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> dict[str, Rendered]:
    config = dict(overrides or {})
    if target == "docker-host":
        config["shiksha-setu:target"] = "docker-host"
    snapshot = run_program("prod", overrides=config, secrets=secrets)
    return {workload: from_snapshot(snapshot, target, workload) for workload in workloads}


def from_snapshot(snapshot: Snapshot, target: str, workload: str) -> Rendered:
    """One workload's command and files from a program run for `target`."""
    extract = _docker_host if target == "docker-host" else _kubernetes
    return extract(snapshot, workload)


def rendered(
    target: str,
    workload: str,
    overrides: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Rendered:
    return rendered_all(target, (workload,), overrides, secrets)[workload]


TARGETS = ("kubernetes", "docker-host")
