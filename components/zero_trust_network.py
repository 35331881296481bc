"""ZeroTrustNetwork: the namespace's NetworkPolicies, generated from the plan's network intent.

Nobody writes a policy per workload: the intent (components/plan/network.py) says who
calls whom, components/kube/network_policies.py turns it into NetworkPolicies, and this
component registers them. It knows no other component.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kube.network_policies import plan_policies
from components.plan.network import NetworkIntent, unreachable


@dataclass(frozen=True)
class ZeroTrustNetworkArgs:
    intent: NetworkIntent
    namespace: pulumi.Input[str]


class ZeroTrustNetwork(pulumi.ComponentResource):
    """Registers the planned NetworkPolicies; `policy_names` lists them for outputs."""

    policy_names: list[str]

    def __init__(self, name: str, args: ZeroTrustNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("shiksha:index:ZeroTrustNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for note in unreachable(args.intent):
            pulumi.log.warn(note, resource=self)
        self.policy_names = []
        for policy in plan_policies(args.intent):
            meta = dict(policy["metadata"])
            # The namespace output carries the dependency on the namespace and its guardrails.
            meta["namespace"] = args.namespace
            policy_name = meta["name"]
            k8s.networking.v1.NetworkPolicy(policy_name, metadata=meta, spec=policy["spec"], opts=child)
            self.policy_names.append(policy_name)
        self.register_outputs({"policies": self.policy_names})
