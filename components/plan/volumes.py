"""The named Docker volumes of the docker-host target, listed once, from the plan.

DockerHost creates exactly these (components/docker/containers.py), and the plan refuses
two of one name before anything is registered: a volume's name is its resource name, so
two would fail late as a duplicate docker.Volume. The listing needs the plan, because a
workload's secret files (its datastore credentials, ACL users) get a volume each.

No Pulumi here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from components.config.docker_host import DockerHostSpec
from components.plan.workload import PlannedWorkload


@dataclass(frozen=True)
class Volume:
    """A named volume; `persistent` data outlives any `pulumi destroy` mistake (protected,
    retained on delete): removing it is a deliberate act."""

    name: str
    container_path: str
    persistent: bool
    # The key of the stack output `volumes`, or None for volumes not exported.
    output_key: str | None = None
    # Who asked for it, for an error: (config key, the value there), or what the estate
    # itself mounts there (secret files) when no config key did.
    origin: tuple[str, str] | str = ""


def volume_name(prefix: str, workload: str, suffix: str) -> str:
    return f"{prefix}-{workload}-{suffix}"


def docker_volumes(planned: PlannedWorkload, host: DockerHostSpec) -> list[Volume]:
    """The workload's storage (`data`), each path of `dockerHost.volumePaths` (the path's
    elements joined by '-'), all persistent; then one per group of secret files, which
    Docker copies into a volume of their own so `docker inspect` never shows them."""
    name, spec, prefix = planned.name, planned.spec, host.name_prefix
    volumes = []
    if spec.storage is not None:
        volumes.append(
            Volume(
                volume_name(prefix, name, "data"),
                spec.storage.mount_path,
                True,
                name,
                (f"workloads.{name}.storage", spec.storage.mount_path),
            )
        )
    for path in host.volume_paths.get(name, []):
        suffix = path.strip("/").replace("/", "-")
        volumes.append(
            Volume(
                volume_name(prefix, name, suffix),
                path,
                True,
                f"{name}-{suffix}",
                (f"dockerHost.volumePaths.{name}", path),
            )
        )
    for group in planned.files:
        if group.secret:
            volumes.append(
                Volume(
                    volume_name(prefix, name, group.name),
                    group.mount_path,
                    False,
                    origin=f"the secret files {group.name!r} the estate mounts at {group.mount_path}",
                )
            )
    return volumes


def _described(volume: Volume) -> str:
    if isinstance(volume.origin, str):
        return volume.origin
    key, value = volume.origin
    return f"{key} {value!r}"


def volume_problems(workloads: Iterable[PlannedWorkload], host: DockerHostSpec) -> list[tuple[str, str, str]]:
    """(config key, value, what is wrong) for each volume whose name another volume of the
    host has too; reported at the config key that asked for it."""
    by_name: dict[str, list[Volume]] = defaultdict(list)
    for planned in workloads:
        for volume in docker_volumes(planned, host):
            by_name[volume.name].append(volume)
    problems = []
    for name, volumes in by_name.items():
        for volume in volumes:
            if len(volumes) > 1 and not isinstance(volume.origin, str):
                others = "; ".join(_described(other) for other in volumes if other is not volume)
                key, value = volume.origin
                problems.append(
                    (
                        key,
                        value,
                        f"its Docker volume {name!r} is also the volume of {others}; choose another path",
                    )
                )
    return problems
