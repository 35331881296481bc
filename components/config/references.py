"""Cross-references and uniqueness over the whole estate: the second half of the gate.

Field checks live on the models; what needs more than one part of the tree lives here,
each written once, run for both targets in the same phase as the field checks and
before anything is registered (see loader.py). What needs the plan (the workloads it
runs) is checked against it by components/plan/checks.py, which the loader runs next.
Every problem names its config key.
The components trust what passes: they do not check again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from components.datastores import registry

from .cdn import cdn_problems
from .docker_host import IMAGE_ENTRYPOINTS
from .edge import route_key
from .errors import Problem, unknown_name, unknown_port
from .errors import got as _got
from .estate import EstateConfig
from .monitoring import BUILT_IN_JOBS, EXPORTERS, MONITORING_WORKLOADS
from .network import METRICS_PORT
from .routing import serving_route

# The StatefulSet controller labels each revision `<name>-<hash of up to 10 characters>`.
STATEFULSET_NAME_MAX = 63 - 11
NETPOL_SUFFIX = "-netpol"
# A Gateway holds at most 64 listeners: one HTTPS and one HTTP per host.
MAX_HOSTS = 32


def _duplicates(values: Iterable[Any]) -> list[Any]:
    return sorted((v for v, n in Counter(values).items() if n > 1), key=str)


class _Checks:
    def __init__(self, config: EstateConfig):
        self.config = config
        self.plannable = False
        self.workloads = config.workloads
        self.enabled = config.enabled_workloads
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def each(self, key: str, values: Iterable[Any], problem: Callable[[Any], str | None]) -> None:
        """Checks every item of the list at `key`: a message from `problem(item)` is a
        problem of `key[index]` with the item as the value it got."""
        for index, value in enumerate(values):
            message = problem(value)
            if message is not None:
                self.add(_got(f"{key}[{index}]", value, message))

    def run(self) -> list[Problem]:
        self.images()
        self.datastores()
        self.connections()
        self.derived_names()
        self.edge()
        self.cdn()
        self.plannable = self.monitoring()
        if self.config.target == "docker-host":
            self.docker_host()
        return self.problems

    # --- workloads -------------------------------------------------------------------

    def images(self) -> None:
        pinned = self.config.images.pinned
        for name, spec in self.workloads.items():
            if spec.image not in pinned:
                self.add(
                    _got(
                        f"workloads.{name}.image",
                        spec.image,
                        unknown_name("entry of images.pinned", spec.image, pinned),
                        spec.image,
                    )
                )
        build = self.config.images.build
        for key in build.images if build is not None else {}:
            if key not in pinned:
                self.add(
                    Problem(
                        f"images.build.images.{key}",
                        f"is not a key of images.pinned (known: {sorted(pinned)}); "
                        "a built image replaces a pinned one",
                    )
                )

    def datastores(self) -> None:
        # A datastore role is known by its workload name and its image key; the two go
        # together (wiring follows the name, the secrets follow the image).
        role_images = registry.role_images()
        for name, spec in self.workloads.items():
            image = role_images.get(name)
            if image is not None and spec.image != image:
                self.add(
                    _got(f"workloads.{name}.image", spec.image, f"the {name} datastore runs image {image!r}")
                )
            elif image is None and spec.image in role_images.values():
                roles = sorted(role for role, role_image in role_images.items() if role_image == spec.image)
                self.add(
                    _got(
                        f"workloads.{name}.image",
                        spec.image,
                        f"is a datastore image; only the workloads {roles} run it (the estate "
                        "wires credentials, files and roles by these names)",
                    )
                )
        for key, message in registry.problems(self.config):
            self.add(Problem(key, message))

    def connections(self) -> None:
        for name, spec in self.workloads.items():
            key = f"workloads.{name}.connectsTo"
            for target in _duplicates(spec.connects_to):
                self.add(_got(key, target, "is listed twice"))
            for target in dict.fromkeys(spec.connects_to):
                other = self.workloads.get(target)
                if other is None:
                    self.add(_got(key, target, unknown_name("workload", target, self.enabled), target))
                elif target == name:
                    self.add(_got(key, target, "a workload does not connect to itself"))
                elif spec.enabled and not other.enabled:
                    self.add(
                        _got(key, target, "names a disabled workload; enable it or remove the connection")
                    )
                elif not [p for p in other.ports if p != METRICS_PORT]:
                    self.add(_got(key, target, "names a workload that exposes no port"))

    def derived_names(self) -> None:
        part_of = self.config.part_of
        names = dict(self.workloads)
        if self.config.monitoring.enabled:
            for name in MONITORING_WORKLOADS:
                if name in self.workloads:
                    self.add(
                        _got(
                            f"workloads.{name}",
                            name,
                            "is the name of a monitoring workload (MonitoringStack deploys it); "
                            "choose another name",
                        )
                    )
        for name, spec in names.items():
            key = f"workloads.{name}"
            instance = f"{part_of}-{name}"
            if len(instance) > 63:
                self.add(
                    _got(
                        key,
                        name,
                        f"its label app.kubernetes.io/instance {instance!r} is longer than 63 characters "
                        "(partOf + '-' + name)",
                    )
                )
            if len(name + NETPOL_SUFFIX) > 63:
                self.add(_got(key, name, f"its NetworkPolicy's name label {name}{NETPOL_SUFFIX} exceeds 63"))
            if spec.kind == "StatefulSet" and len(name) > STATEFULSET_NAME_MAX:
                self.add(
                    _got(
                        key,
                        name,
                        f"a StatefulSet's name is at most {STATEFULSET_NAME_MAX} characters "
                        "(its revision label appends a hash)",
                    )
                )

    # --- edge --------------------------------------------------------------------------

    def cdn(self) -> None:
        config = self.config
        for key, value, message, refers_to in cdn_problems(
            config.cdn, config.edge, config.ingress, config.workloads, config.target
        ):
            self.add(_got(key, value, message, refers_to))

    def edge(self) -> None:
        edge, ingress = self.config.edge, self.config.ingress
        for field, values in (
            ("edge.hosts", edge.hosts),
            ("edge.tls.protocols", edge.tls.protocols),
            ("edge.blockedPaths", edge.blocked_paths),
        ):
            for value in _duplicates(values):
                self.add(_got(field, value, "is listed twice"))
        if len(edge.hosts) > MAX_HOSTS:
            self.add(_got("edge.hosts", len(edge.hosts), f"at most {MAX_HOSTS} hosts (64 Gateway listeners)"))
        explicit = self.config.docker_host.nginx.upstreams if self.config.target == "docker-host" else {}
        for route in edge.route_list:
            key = route_key(route.path)
            backend = self.workloads.get(route.backend)
            if backend is None:
                self.add(
                    _got(
                        f"{key}.backend",
                        route.backend,
                        unknown_name("workload", route.backend, self.enabled),
                        route.backend,
                    )
                )
            elif route.port not in backend.ports:
                self.add(
                    _got(
                        f"{key}.port",
                        route.port,
                        unknown_port(route.backend, route.port, backend.ports),
                    )
                )
            elif not backend.enabled and route.backend not in explicit:
                self.add(_got(f"{key}.backend", route.backend, "names a disabled workload"))
        special = {
            "mlPaths": edge.ml_paths,
            "streamPaths": edge.stream_paths,
            "websocketPaths": edge.websocket_paths,
        }
        # Each path is one NGINX location and one route rule: a path in two roles would be
        # two locations (NGINX refuses) or two rules a gateway cannot choose between.
        seen: dict[str, str] = {}

        def located(path: str, field: str) -> str | None:
            if path not in seen:
                seen[path] = field
                return None
            where = "is listed twice" if seen[path] == field else f"is already in edge.{seen[path]}"
            return f"{where} (one location per path)"

        for field, paths in {**special, "blockedPaths": edge.blocked_paths}.items():
            self.each(f"edge.{field}", paths, partial(located, field=field))
        route_paths = [route.path for route in edge.route_list]
        served = f"no edge.routes prefix serves it (routes: {route_paths})"
        for field, paths in special.items():
            self.each(
                f"edge.{field}",
                paths,
                lambda path: None if serving_route(edge.route_list, path) else served,
            )
        routes = set(route_paths)
        self.each(
            "edge.blockedPaths",
            edge.blocked_paths,
            lambda p: "is also a route's path" if p in routes else None,
        )
        limits = edge.rate_limits
        if self.config.target == "kubernetes" and ingress.enabled:
            if ingress.mode == "ingress-nginx" and not float(limits.requests_per_second).is_integer():
                self.add(
                    _got(
                        "edge.rateLimits.requestsPerSecond",
                        limits.requests_per_second,
                        "ingress-nginx takes whole requests per second",
                    )
                )
            if (
                ingress.mode == "gateway-api"
                and ingress.gateway_api.policy_provider == "envoy-gateway"
                and not float(limits.global_requests_per_second).is_integer()
            ):
                self.add(
                    _got(
                        "edge.rateLimits.globalRequestsPerSecond",
                        limits.global_requests_per_second,
                        "Envoy Gateway takes whole requests per second",
                    )
                )

    # --- monitoring ----------------------------------------------------------------------

    def monitoring(self) -> bool:
        """False when the monitoring workloads cannot be planned (their problems are listed)."""
        monitoring = self.config.monitoring
        before = len(self.problems)
        for job_name, job in monitoring.jobs.items():
            key = f"monitoring.jobs.{job_name}"
            if job_name in BUILT_IN_JOBS:
                self.add(_got(key, job_name, "is the name of a built-in scrape job; choose another name"))
            workload = self.workloads.get(job.workload)
            if workload is None:
                self.add(
                    _got(
                        f"{key}.workload",
                        job.workload,
                        unknown_name("workload", job.workload, self.enabled),
                        job.workload,
                    )
                )
            elif job.port not in workload.ports:
                self.add(
                    _got(
                        f"{key}.port",
                        job.port,
                        unknown_port(job.workload, job.port, workload.ports),
                    )
                )
        blackbox = monitoring.blackbox
        for name, target in blackbox.targets.items():
            if target.module not in blackbox.modules:
                self.add(
                    _got(
                        f"monitoring.blackbox.targets.{name}.module",
                        target.module,
                        unknown_name("module", target.module, blackbox.modules),
                        target.module,
                    )
                )
        am = monitoring.alertmanager
        receivers = sorted(am.receivers)
        if am.default_receiver not in am.receivers:
            self.add(
                _got(
                    "monitoring.alertmanager.defaultReceiver",
                    am.default_receiver,
                    unknown_name("receiver", am.default_receiver, receivers),
                    am.default_receiver,
                )
            )
        for index, route in enumerate(am.routes):
            key = f"monitoring.alertmanager.routes[{index}]"
            if route.receiver not in am.receivers:
                self.add(
                    _got(
                        f"{key}.receiver",
                        route.receiver,
                        unknown_name("receiver", route.receiver, receivers),
                        route.receiver,
                    )
                )
            for interval in route.mute_intervals:
                if interval not in am.mute_intervals:
                    self.add(
                        _got(
                            f"{key}.muteIntervals",
                            interval,
                            unknown_name("mute interval", interval, am.mute_intervals),
                            interval,
                        )
                    )
        if monitoring.enabled:
            for key, (exporter, _port_name, _port, subject) in EXPORTERS.items():
                if subject is None or not getattr(monitoring.exporters, key) or subject not in self.enabled:
                    continue
                if not self.enabled[subject].ports:
                    self.add(
                        Problem(
                            f"workloads.{subject}.ports",
                            f"{exporter} (monitoring.exporters.{key}) needs a port to read {subject} on",
                        )
                    )
        return len(self.problems) == before

    # --- docker-host -----------------------------------------------------------------------

    def docker_host(self) -> None:
        host = self.config.docker_host
        # Both need a cluster: an operator that writes Secrets, a DaemonSet on every node.
        for key, on in (
            ("secrets.source", self.config.secrets.external),
            ("logging.enabled", self.config.logging.enabled),
        ):
            if on:
                self.add(Problem(key, "needs target kubernetes (this stack's target is docker-host)"))
        for workload in host.loopback_ports:
            if workload not in self.enabled:
                self.add(
                    _got(
                        f"dockerHost.loopbackPorts.{workload}",
                        workload,
                        unknown_name("enabled workload", workload, self.enabled),
                        workload,
                    )
                )
            elif not self.enabled[workload].ports:
                self.add(Problem(f"dockerHost.loopbackPorts.{workload}", "the workload exposes no port"))
        for field, names in (
            ("healthchecks", host.healthchecks),
            ("shmSizeMb", host.shm_size_mb),
            ("upstreams", host.nginx.upstreams),
        ):
            for workload in names:
                if workload not in self.workloads:
                    self.add(
                        _got(
                            f"dockerHost.{'nginx.' if field == 'upstreams' else ''}{field}.{workload}",
                            workload,
                            unknown_name("workload", workload, self.enabled),
                            workload,
                        )
                    )
        for image in host.http_health_tool:
            if image not in self.config.images.pinned:
                self.add(
                    _got(
                        f"dockerHost.httpHealthTool.{image}",
                        image,
                        unknown_name("entry of images.pinned", image, self.config.images.pinned),
                        image,
                    )
                )
        # Their names are checked with the plan's (components/plan/volumes.py), which knows
        # the volumes of secret files too.
        for workload, paths in host.volume_paths.items():
            spec = self.workloads.get(workload)
            if spec is None:
                self.add(
                    _got(
                        f"dockerHost.volumePaths.{workload}",
                        workload,
                        unknown_name("workload", workload, self.enabled),
                        workload,
                    )
                )
                continue
            for path in paths:
                if path not in spec.writable_paths:
                    self.add(
                        _got(
                            f"dockerHost.volumePaths.{workload}",
                            path,
                            f"is not one of the workload's writablePaths {spec.writable_paths}",
                        )
                    )
        role_images = registry.role_images()
        for name, spec in self.enabled.items():
            if (
                spec.effective_probes.readiness is None
                and spec.effective_probes.liveness is None
                and name not in host.healthchecks
            ):
                self.add(
                    Problem(
                        f"workloads.{name}.probes",
                        "the docker-host target needs a readiness or liveness probe (or "
                        f"dockerHost.healthchecks.{name}) to derive the container health check from",
                    )
                )
            if name in role_images and spec.command is None and spec.image not in IMAGE_ENTRYPOINTS:
                self.add(
                    Problem(
                        f"workloads.{name}.command",
                        f"needed to start image {spec.image!r} after writing its config files",
                    )
                )


@dataclass(frozen=True)
class References:
    problems: list[Problem]
    # The monitoring workloads can be planned (their own references hold), so the checks
    # against the plan (components/plan/checks.py) can run.
    plannable: bool


def check_references(config: EstateConfig) -> References:
    """Every cross-reference problem of a field-valid estate that the config alone shows;
    those against the plan are plan/checks.py's (the loader runs both)."""
    checks = _Checks(config)
    return References(checks.run(), checks.plannable)
