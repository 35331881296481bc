"""The components a program in another language uses through package `shiksha`.

Each class here IS the estate's component (a subclass, so the same type token
`shiksha:index:<Name>`, the same children and the same outputs), with inputs that the SDK's
schema inference reads. The host hands `args` over as a plain dict keyed by the Python names
(it maps the schema's camelCase names and builds no Args object), so each constructor checks
the values with the estate's own pydantic models, then builds the component's own Args.

No `from __future__ import annotations` here: the inference reads annotations as objects
(inspect.get_annotations without evaluation), and string annotations crash it. For the same
reason each class restates its outputs: the parents' annotations are strings.
"""

from typing import Any, NotRequired, TypedDict, TypeVar

import pulumi
from pydantic import BaseModel, RootModel, ValidationError

from components import ingress_with_headers, platform_namespace, secure_deployment, zero_trust_network
from components.config.edge import EdgeSpec, route_key
from components.config.errors import from_validation_error, unknown_name, unknown_port
from components.config.images import label_version
from components.config.namespace import NamespaceSpec
from components.config.network import NetworkSpec
from components.config.routing import serving_route
from components.config.secrets import EstateSecrets
from components.config.secrets_source import SecretsSpec
from components.config.types import Dns1035Label, DnsLabel, EnvName, Port, PortName
from components.config.workloads import WorkloadSpec
from components.plan.network import NetworkIntent, Route
from components.resources.secret_objects import SecretSink
from components.targets.kubernetes import routed_paths
from components.values.numbers import whole_numbers
from components.values.secret_text import secret

PACKAGE = "shiksha"
VERSION = "0.1.0"

Model = TypeVar("Model", bound=BaseModel)


class Label(RootModel[DnsLabel]):
    """A DNS label: the app.kubernetes.io/part-of label as the estate's own `partOf`, a namespace."""


def part_of(value: Any, component: str, name: str) -> str:
    return checked(Label, value, component, name, "partOf").root


class EnvNames(RootModel[dict[EnvName, Any]]):
    """Secret environment variables by name, the names held to the rules of `env`'s."""


class InputError(ValueError):
    """Bad inputs of one exported component; raised before it registers anything."""

    def __init__(self, component: str, name: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - input {p}" for p in problems)
        super().__init__(f"{component} {name!r}: invalid inputs:\n{lines}")


def checked(model: type[Model], value: Any, component: str, name: str, key: str) -> Model:
    """`value` as `model`, or an error naming the resource, the input and each bad field."""
    value = whole_numbers(value)
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problems = from_validation_error(key, error, value, model)
        raise InputError(
            component, name, [f"`{p.replace(f'{key}:', f'{key}`: ', 1)}" for p in problems]
        ) from None


class PlatformNamespaceInputs(TypedDict):
    part_of: str
    """The app.kubernetes.io/part-of label of every object."""
    spec: NotRequired[Any]
    """The namespace as the stack key `namespace` writes it (name, podSecurity, quota, limitRange),
    checked by the estate's NamespaceSpec model; the hardened defaults when left out."""


class PlatformNamespace(platform_namespace.PlatformNamespace):
    """The namespace and its guardrails: Pod Security Admission labels, quota, limit range."""

    name: pulumi.Output[str]
    """The namespace's name, known once its quota and limits exist."""

    def __init__(self, name: str, args: PlatformNamespaceInputs, opts: pulumi.ResourceOptions | None = None):
        spec = checked(NamespaceSpec, args.get("spec") or {}, "PlatformNamespace", name, "spec")
        label = part_of(args["part_of"], "PlatformNamespace", name)
        super().__init__(name, platform_namespace.PlatformNamespaceArgs(spec, label), opts)


class SecureDeploymentInputs(TypedDict):
    namespace: pulumi.Input[str]
    """The namespace of the workload's objects."""
    image: pulumi.Input[str]
    """The container image reference."""
    part_of: str
    """The app.kubernetes.io/part-of label."""
    spec: Any
    """The workload as an entry of the stack key `workloads` writes it (camelCase keys),
    checked by the estate's WorkloadSpec model."""
    version: NotRequired[str]
    """The app.kubernetes.io/version label; by default the tag of a plain string image."""
    skip_await: NotRequired[bool]
    """Do not wait for the workload to become ready (a cluster with no nodes, a dry run)."""
    secret_env: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variables with secret values: they reach the pod only through the Secret
    `<name>-env`, and stay Pulumi secrets in the state whether or not they came as secrets."""


class SecureDeployment(secure_deployment.SecureDeployment):
    """One hardened workload: ServiceAccount, Deployment or StatefulSet, Service, PDB, HPA."""

    service_name: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    workload_name: pulumi.Output[str]

    def __init__(self, name: str, args: SecureDeploymentInputs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, deployment_args(name, args), opts)


def deployment_args(name: str, args: SecureDeploymentInputs) -> secure_deployment.SecureDeploymentArgs:
    spec = checked(WorkloadSpec, args["spec"], "SecureDeployment", name, "spec")
    image = args["image"]
    version = args.get("version") or (label_version(image) if isinstance(image, str) else None)
    values = {var: pulumi.Output.secret(value) for var, value in (args.get("secret_env") or {}).items()}
    checked(EnvNames, dict.fromkeys(values), "SecureDeployment", name, "secretEnv")
    # One name, two values: the pod would get whichever the API server keeps.
    both = sorted(set(values) & set(spec.env))
    if both:
        raise InputError("SecureDeployment", name, [f"`secretEnv`: {both} also set in `spec.env`"])
    return secure_deployment.SecureDeploymentArgs(
        spec=spec,
        namespace=args["namespace"],
        image=image,
        part_of=part_of(args["part_of"], "SecureDeployment", name),
        version=version,
        # Each variable is its own value: the sink writes them with the Pulumi source.
        secret_env={var: secret(var) for var in values},
        skip_await=bool(args.get("skip_await", False)),
        secrets=SecretSink(SecretsSpec(), EstateSecrets(values)),
    )


class EdgeRoute(TypedDict):
    """An edge route as the network sees it: the ingress controller reaches `backend` on `port`."""

    backend: str
    port: str


class ZeroTrustNetworkInputs(TypedDict):
    namespace: pulumi.Input[str]
    """The namespace the policies guard."""
    part_of: str
    """The app.kubernetes.io/part-of label of the workloads (their pods are selected by it)."""
    workloads: dict[str, Any]
    """Every workload in the namespace: name -> its spec, as for SecureDeployment."""
    network: NotRequired[Any]
    """The stack key `network` (DNS, internet egress, extra rules), checked by NetworkSpec."""
    routes: NotRequired[list[EdgeRoute]]
    """The edge routes the ingress controller serves."""
    controller_namespace_labels: NotRequired[dict[str, str]]
    """The labels of the ingress controller's namespace."""


class ZeroTrustNetwork(zero_trust_network.ZeroTrustNetwork):
    """Default deny in both directions, then one NetworkPolicy per workload from who calls whom."""

    policy_names: list[str]

    def __init__(self, name: str, args: ZeroTrustNetworkInputs, opts: pulumi.ResourceOptions | None = None):
        intent = network_intent(name, args)
        super().__init__(name, zero_trust_network.ZeroTrustNetworkArgs(intent, args["namespace"]), opts)


def network_intent(name: str, args: ZeroTrustNetworkInputs) -> NetworkIntent:
    """The intent of the inputs; a call to a workload or port not among them is an error, as
    in the estate's gate: the policies would deny it without a word."""
    workloads = {
        workload: checked(WorkloadSpec, spec, "ZeroTrustNetwork", name, f"workloads.{workload}")
        for workload, spec in (args.get("workloads") or {}).items()
    }
    routes = [Route(r["backend"], r["port"]) for r in args.get("routes") or []]
    problems = [
        f"`workloads.{caller}.connectsTo`: {target!r} {unknown_name('workload', target, workloads)}"
        for caller, spec in workloads.items()
        for target in spec.connects_to
        if target not in workloads
    ]
    for i, route in enumerate(routes):
        backend = workloads.get(route.backend)
        if backend is None:
            problems.append(f"`routes[{i}].backend`: {unknown_name('workload', route.backend, workloads)}")
        elif route.port not in backend.ports:
            problems.append(f"`routes[{i}].port`: {unknown_port(route.backend, route.port, backend.ports)}")
    if problems:
        raise InputError("ZeroTrustNetwork", name, problems)
    namespace = args["namespace"]
    return NetworkIntent(
        # The component sets each policy's namespace from `namespace` itself, Output or not.
        namespace=namespace if isinstance(namespace, str) else "",
        part_of=part_of(args["part_of"], "ZeroTrustNetwork", name),
        spec=checked(NetworkSpec, args.get("network") or {}, "ZeroTrustNetwork", name, "network"),
        workloads=workloads,
        controller_namespace_labels=args.get("controller_namespace_labels") or {},
        routes=routes,
    )


class Services(RootModel[dict[Dns1035Label, dict[PortName, Port]]]):
    """The Services the edge's routes send to: name -> port name -> number."""


class IngressWithHeadersInputs(TypedDict):
    namespace: str
    """The namespace of the edge's objects (ingress-nginx's custom-headers annotation names it,
    so it must be known: a plain string)."""
    part_of: str
    """The objects' name and app.kubernetes.io/part-of label."""
    services: dict[str, dict[str, int]]
    """Every Service a route of `edge.routes` names: its ports, name -> number."""
    edge: NotRequired[Any]
    """The stack key `edge` (hosts, routes, path classes, headers, rate limits, CORS, TLS),
    checked by the estate's EdgeSpec model; its defaults when left out."""
    skip_await: NotRequired[bool]
    """Do not wait for a load balancer address (a cluster with no controller)."""


class IngressWithHeaders(ingress_with_headers.IngressWithHeaders):
    """The edge through the Gateway API (Gateway, HTTPRoutes, the policy provider's rate limit
    and CORS policies), with the estate's security headers; no CDN."""

    def __init__(self, name: str, args: IngressWithHeadersInputs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, edge_args(name, args), opts)


def edge_args(name: str, args: IngressWithHeadersInputs) -> ingress_with_headers.IngressWithHeadersArgs:
    """The component's Args with the secure defaults (Gateway API, no CDN), each path sent to
    its route's Service as the Kubernetes target resolves it. A route to a Service or port not
    in `services`, or a special path no route serves, is an error, as in the estate's gate."""
    component = "IngressWithHeaders"
    edge = checked(EdgeSpec, args.get("edge") or {}, component, name, "edge")
    services = checked(Services, args.get("services") or {}, component, name, "services").root
    problems = []
    for route in edge.route_list:
        key = f"`{route_key(route.path)}"
        ports = services.get(route.backend)
        if ports is None:
            problems.append(
                f"{key}.backend`: {route.backend!r} {unknown_name('service', route.backend, services)}"
            )
        elif route.port not in ports:
            problems.append(f"{key}.port`: {unknown_port(route.backend, route.port, ports)}")
    served = [route.path for route in edge.route_list]
    for key, paths in (
        ("mlPaths", edge.ml_paths),
        ("streamPaths", edge.stream_paths),
        ("websocketPaths", edge.websocket_paths),
    ):
        problems += [
            f"`edge.{key}`: {path!r}: no edge.routes prefix serves it (routes: {served})"
            for path in paths
            if serving_route(edge.route_list, path) is None
        ]
    if problems:
        raise InputError(component, name, problems)
    if not isinstance(args["namespace"], str):
        # It is written into annotations as text: an Output (another resource's name) is unknown
        # at preview. The objects still wait for the namespace through `dependsOn`.
        raise InputError(
            component, name, ["`namespace`: must be a plain string, not another resource's output"]
        )
    return ingress_with_headers.IngressWithHeadersArgs(
        namespace=checked(Label, args["namespace"], component, name, "namespace").root,
        edge=edge,
        paths=routed_paths(edge, services),
        part_of=part_of(args["part_of"], component, name),
        skip_await=bool(args.get("skip_await", False)),
    )


# MonitoringStack is not exported: every function of components/plan/monitoring.py that builds
# its PlannedWorkloads takes the whole EstateConfig (docs/components-package.md, "Limits").
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    PlatformNamespace,
    SecureDeployment,
    ZeroTrustNetwork,
    IngressWithHeaders,
]
