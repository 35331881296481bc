"""LoggingStack: a node-level collector shipping container logs to a Loki-compatible endpoint.

Its own namespace, because the collector needs a host path that Pod Security `baseline`
and `restricted` both forbid: the namespace enforces `privileged` (the weakest level that
admits a hostPath volume) and audits and warns at `baseline`, so the one exception stays
visible, while the platform namespace keeps `restricted`. Everything else is locked down:
read-only mounts and root filesystem, no capabilities, no API token, egress only to DNS and
the endpoint's addresses, and no ingress at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.config.logging import LoggingSpec
from components.config.network import DnsSpec
from components.kube.config_objects import config_checksum
from components.kube.labels import recommended_labels, selector_labels
from components.kube.log_collector import CREDENTIALS_KEY, collector_pod_spec, daemonset_spec
from components.kube.metadata import metadata
from components.kube.namespace import namespace_labels, namespace_metadata
from components.kube.network_policy import Peer, PolicyPort, PolicyRule, network_policy
from components.render.collector import CONFIG_FILE, render_collector_config
from components.resources.secret_objects import SecretSink
from components.values.secret_text import basic_auth

NAME = "log-collector"
COMPONENT = "logging"
CHECKSUM = "checksum/config"


@dataclass(frozen=True)
class LoggingStackArgs:
    """The collector and its own namespace: where it ships (`spec`: endpoint, its addresses
    and port, credentials user, collector image), whose logs, and who writes its Secret."""

    spec: LoggingSpec
    # The namespaces whose container logs are shipped (at least one).
    shipped_namespaces: Sequence[str]
    part_of: str
    secrets: SecretSink
    version: str | None = None
    # Where the cluster's DNS answers: the one egress besides the endpoint.
    dns: DnsSpec = field(default_factory=DnsSpec)


class LoggingStack(pulumi.ComponentResource):
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: LoggingStackArgs, opts: pulumi.ResourceOptions | None = None):
        # Checked before anything is registered.
        if not args.shipped_namespaces:
            raise ValueError(f"LoggingStack {name}: LoggingStackArgs.shipped_namespaces is empty")
        if args.spec.endpoint is None or not args.spec.endpoint_cidrs:
            raise ValueError(
                f"LoggingStack {name}: LoggingStackArgs.spec needs endpoint and endpoint_cidrs "
                "(where the logs go, and the only addresses the collector may reach)"
            )
        super().__init__("shiksha:index:LoggingStack", name, None, opts)
        spec = args.spec
        ns = spec.namespace
        labels = recommended_labels(NAME, COMPONENT, args.part_of, args.version)
        selector = selector_labels(NAME, args.part_of)
        common = namespace_labels(args.part_of)

        # Enforce the weakest level that admits the hostPath; audit and warn at baseline.
        namespace = k8s.core.v1.Namespace(
            ns,
            metadata=namespace_metadata(ns, args.part_of, "privileged", audit_and_warn="baseline"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        # Deny everything first; the one allowed flow is opened below.
        k8s.networking.v1.NetworkPolicy(
            f"{ns}-default-deny",
            **_body(network_policy("default-deny", ns, common, {}, [], [])),
            opts=child,
        )
        dns = args.dns
        egress = [
            PolicyRule(
                (Peer.namespace(dns.namespace_labels, dns.pod_labels),),
                (PolicyPort(dns.port, "UDP"), PolicyPort(dns.port, "TCP")),
            ),
            PolicyRule(
                tuple(Peer.ip_block(cidr) for cidr in sorted(spec.endpoint_cidrs)),
                (PolicyPort(spec.endpoint_port),),
            ),
        ]
        k8s.networking.v1.NetworkPolicy(
            f"{NAME}-egress",
            **_body(network_policy(f"{NAME}-egress", ns, labels, selector, None, egress)),
            opts=child,
        )

        account = k8s.core.v1.ServiceAccount(
            NAME, metadata=metadata(NAME, ns, labels), automount_service_account_token=False, opts=child
        )
        config_text = render_collector_config(spec, list(args.shipped_namespaces))
        config_map = k8s.core.v1.ConfigMap(
            NAME, metadata=metadata(NAME, ns, labels), data={CONFIG_FILE: config_text}, opts=child
        )
        depends: list[pulumi.Resource] = [account, config_map]
        credentials = None
        if spec.username is not None:
            credentials = f"{NAME}-credentials"
            depends.append(
                args.secrets.secret(
                    credentials,
                    ns,
                    labels,
                    {CREDENTIALS_KEY: basic_auth(spec.username, "loggingPassword")},
                    child,
                )
            )
        pod = collector_pod_spec(spec, NAME, NAME, credentials)
        # A changed config rolls the collectors (the checksum is of plain config only).
        annotations = {CHECKSUM: str(config_checksum({CONFIG_FILE: config_text}))}
        k8s.apps.v1.DaemonSet(
            NAME,
            metadata=metadata(NAME, ns, labels),
            spec=daemonset_spec(selector, labels, annotations, pod),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, *depends]),
        )
        self.namespace = pulumi.Output.from_input(ns)
        self.register_outputs({"namespace": self.namespace})


def _body(obj: dict[str, object]) -> dict[str, object]:
    """The metadata and spec of a built object, as the typed resource's arguments."""
    return {"metadata": obj["metadata"], "spec": obj["spec"]}
