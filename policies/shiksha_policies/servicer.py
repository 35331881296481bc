"""The pack's one seam into pulumi-policy: Analyze and AnalyzeStack decode each request once.

pulumi-policy 1.21.0 (pinned in policies/requirements.txt) converts the request's
properties (MessageToDict, deserialize_properties, a checking proxy) once per policy per
resource, and the pack then copied them into plain data once more per policy: with 38
policies that was most of the cost of a preview. This subclass of its servicer overrides
only Analyze and AnalyzeStack: each resource is decoded once, straight from the protobuf
Struct into plain data, and every rule judges that same Subject (which also caches the
sanitized pod). Which enabled policies judge a type token, with their config, is worked
out once per token after each Configure (a ConfigMap meets 3 policies, a Deployment 23),
not per policy per call; a type no policy judges is not even decoded. Enforcement
levels, per-policy config, the violation format and everything else (GetAnalyzerInfo,
Configure, Remediate) are pulumi-policy's own.

What it relies on, checked by tests/policies/test_servicer.py: the private class
``pulumi_policy.policy._PolicyAnalyzerServicer``, its constructor, and its helpers
``_get_enforcement_level``, ``_create_report_violation``, ``_get_policy_config``. The
upstream change that makes this file unnecessary: let ``Analyze`` / ``AnalyzeStack``
decode the request once and share the result between policies (or accept a
per-request props factory), as the Node.js SDK already does.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as sdk

from .pod_security._common import VERSION_KEY
from .pod_security.settings import NAME as SETTINGS_POLICY
from .props import _UNKNOWN_SENTINELS, _Unknown
from .rule import Rule, Subject, expand

SDK_VERSION = "1.21.0"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the wire's secret signature


def decode_value(v: Any) -> Any:
    """A protobuf Value as plain data: integral numbers as int, secrets unwrapped, the
    engine's unknown sentinels as UNKNOWN. Assets, archives and resource references stay
    plain dicts (no rule judges them; the SDK's decoder raises on a signature it does not
    know, this one never does)."""
    kind = v.WhichOneof("kind")
    if kind == "string_value":
        s = v.string_value
        return _Unknown(s) if s in _UNKNOWN_SENTINELS else s
    if kind == "struct_value":
        return decode_struct(v.struct_value)
    if kind == "list_value":
        return [decode_value(x) for x in v.list_value.values]
    if kind == "number_value":
        n = v.number_value
        return int(n) if n.is_integer() else n
    if kind == "bool_value":
        return v.bool_value
    return None


def decode_struct(s: Any) -> Any:
    fields = s.fields
    if _SIG_KEY in fields and "value" in fields and fields[_SIG_KEY].string_value == _SECRET_SIG:
        return decode_value(fields["value"])
    # Indexing by key is faster than .items() on upb's map container.
    return {k: decode_value(fields[k]) for k in fields}


def decode_props(s: Any) -> dict[str, Any]:
    out = decode_struct(s)
    return out if isinstance(out, dict) else {}


# (rule, its config, the arguments of the SDK's report function) per enabled policy.
Plan = list[tuple[Rule, dict[str, Any], tuple[Any, ...]]]


class Servicer(sdk._PolicyAnalyzerServicer):
    def __init__(self, rules: Sequence[Rule], policies: list[Policy], **kwargs: Any) -> None:
        super().__init__(policies=policies, **kwargs)
        pairs = list(zip(policies, rules, strict=True))
        self._resource_rules = [(p, r) for p, r in pairs if r.check is not None]
        self._stack_rules = [(p, r) for p, r in pairs if r.stack_check is not None]
        # Rebuilt after Configure (levels and config change only there):
        self._configs: dict[str, dict[str, Any]] = {}  # per policy
        # per type token, the enabled resource policies that judge it (a ConfigMap meets 3
        # of the 31, a Deployment 23): dispatch by type once, not per rule per call.
        self._plans: dict[str, Plan] = {}

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        result = super().Configure(request, context)
        self._configs = {}
        self._plans = {}
        return result

    def _enabled(self, pairs: list[tuple[Policy, Rule]]) -> Plan:
        """(rule, its config, the arguments of its report function) for each policy not
        disabled; as the SDK does, a violation left after remediation is reported as
        mandatory."""
        out = []
        for policy, rule in pairs:
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED:
                continue
            if level == EnforcementLevel.REMEDIATE:
                level = EnforcementLevel.MANDATORY
            out.append(
                (rule, self._config(policy, rule), (policy.name, policy.description, level, policy.severity))
            )
        return out

    def _config(self, policy: Policy, rule: Rule) -> dict[str, Any]:
        """The policy's config with its defaults and the shared settings (from the `pss`
        policy's config: every pss-* policy reads its version)."""
        config = self._configs.get(policy.name)
        if config is None:
            version = (self._get_policy_config(SETTINGS_POLICY) or {}).get("version")
            shared = {VERSION_KEY: version} if isinstance(version, str) else {}
            config = {**rule.defaults(), **(self._get_policy_config(policy.name) or {}), **shared}
            self._configs[policy.name] = config
        return config

    def _plan(self, resource_type: str) -> Plan:
        plan = self._plans.get(resource_type)
        if plan is None:
            plan = self._enabled([(p, r) for p, r in self._resource_rules if r.applies(resource_type)])
            self._plans[resource_type] = plan
        return plan

    def _report(self, response: Any, args: tuple[Any, ...], message: str, urn: str | None = None) -> None:
        """The SDK's report function, made only when a policy has something to report."""
        self._create_report_violation(response, *args)(message, urn)

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
        response = proto.AnalyzeResponse()
        resource_type = request.type
        plan = self._plan(resource_type)
        if not plan:
            return response
        subject = Subject(resource_type, decode_props(request.properties), request.name, request.urn)
        for rule, config, args in plan:
            rule.validate_subject(subject, config, partial(self._report, response, args))
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
        response = proto.AnalyzeResponse()
        resources = expand(
            Subject(r.type, decode_props(r.properties), r.name, r.urn) for r in request.resources
        )
        for rule, config, args in self._enabled(self._stack_rules):
            rule.validate_stack(resources, config, self._create_report_violation(response, *args))
        return response


RPCS = (
    "Analyze",
    "AnalyzeStack",
    "Remediate",
    "GetAnalyzerInfo",
    "GetPluginInfo",
    "Configure",
    "Handshake",
    "ConfigureStack",
    "Cancel",
)


class AsyncAdapter(analyzer_pb2_grpc.AnalyzerServicer):
    """Serves a sync servicer from grpc.aio, handler inline on the event loop: a quarter
    less CPU per call than the thread-pool server (the analyzer's calls are CPU-bound and
    serialized by the GIL either way). RPCs the servicer does not implement stay
    UNIMPLEMENTED, as with the SDK's server."""

    def __init__(self, inner: Any) -> None:
        for name in RPCS:
            method = getattr(type(inner), name, None)
            if method is not None and method is not getattr(analyzer_pb2_grpc.AnalyzerServicer, name, None):
                setattr(self, name, self._wrap(getattr(inner, name)))

    @staticmethod
    def _wrap(call: Any) -> Any:
        async def rpc(request: Any, context: Any) -> Any:
            return call(request, context)

        return rpc


def serve(rules: Sequence[Rule], **pack: Any) -> None:
    """Starts the analyzer as pulumi_policy.PolicyPack does (same gRPC options, the port on
    stdout) with the Servicer above, on a grpc.aio server, and blocks."""
    policies: list[Policy] = [r.to_policy() for r in rules]
    servicer = Servicer(rules, policies, version="0.0.1", **pack)

    async def run() -> None:
        server = grpc.aio.server(options=sdk._GRPC_CHANNEL_OPTIONS)
        analyzer_pb2_grpc.add_AnalyzerServicer_to_server(AsyncAdapter(servicer), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
