"""The pack's one seam into pulumi-policy (shiksha_policies/servicer.py): pinned, and
answering exactly as the SDK's own servicer does, only with one decode per request."""

from __future__ import annotations

import copy
from importlib.metadata import version
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE
from shiksha_policies import servicer
from shiksha_policies.catalog import ALL_RULES
from shiksha_policies.props import is_unknown
from shiksha_policies.shapes import POD_TEMPLATE, nest, sanitize

from .harness import BASE, KINDS, merge, wrap
from .pack_client import to_struct


def test_the_sdk_version_and_the_private_parts_the_seam_uses() -> None:
    assert version("pulumi-policy") == servicer.SDK_VERSION
    for name in ("_get_enforcement_level", "_create_report_violation", "_get_policy_config", "Configure"):
        assert callable(getattr(sdk._PolicyAnalyzerServicer, name)), name
    assert sdk._GRPC_CHANNEL_OPTIONS


def _servicers() -> tuple[Any, Any]:
    pack = {"name": "p", "version": "0.0.1", "enforcement_level": EnforcementLevel.ADVISORY}
    stock = sdk._PolicyAnalyzerServicer(policies=[r.to_policy() for r in ALL_RULES], **pack)
    ours = servicer.Servicer(ALL_RULES, [r.to_policy() for r in ALL_RULES], **pack)
    config = analyzer_pb2.ConfigureAnalyzerRequest()
    config.policyConfig["pss-restricted-seccomp"].enforcementLevel = analyzer_pb2.DISABLED
    config.policyConfig["workload-probes"].enforcementLevel = analyzer_pb2.MANDATORY
    config.policyConfig["pss-restricted-capabilities"].enforcementLevel = analyzer_pb2.REMEDIATE
    for s in (stock, ours):
        s.Configure(config, None)
    return stock, ours


def _diags(response: Any) -> list[tuple[str, str, int]]:
    return sorted((d.policyName, d.message, d.enforcementLevel) for d in response.diagnostics)


def _resources() -> list[tuple[str, dict[str, Any], str]]:
    bad = merge(
        BASE["pod"],
        {
            "securityContext": {
                "runAsNonRoot": None,
                "sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}],
            },
            "containers": [
                merge(
                    BASE["pod"]["containers"][0],
                    {
                        "securityContext": {
                            "allowPrivilegeEscalation": True,
                            "seLinuxOptions": {"type": "spc_t"},
                        }
                    },
                )
            ],
        },
    )
    out = [
        (*wrap(kind, pod, name=f"{kind.lower()}-{i}"), f"{kind.lower()}-{i}")
        for kind in KINDS
        for i, pod in enumerate((BASE["pod"], bad))
    ]
    out.append(
        (
            "kubernetes:core/v1:ConfigMap",
            {"metadata": {"name": "c"}, "data": {"API_TOKEN": "abcdef123456"}},
            "c",
        )
    )
    out.append(("docker:index/container:Container", {"image": "redis", "privileged": True}, "redis"))
    return out


def test_analyze_and_analyze_stack_answer_as_the_sdk_does() -> None:
    stock, ours = _servicers()
    resources = _resources()
    for rtype, props, name in resources:
        request = analyzer_pb2.AnalyzeRequest(
            type=rtype, properties=to_struct(props), urn=f"urn:{name}", name=name
        )
        assert _diags(ours.Analyze(request, None)) == _diags(stock.Analyze(request, None)), rtype
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(type=t, properties=to_struct(p), urn=f"urn:{n}", name=n)
            for t, p, n in resources
        ]
    )
    got = _diags(ours.AnalyzeStack(stack, None))
    assert got == _diags(stock.AnalyzeStack(stack, None))
    assert got  # the comparison is about something


def test_pss_version_reaches_every_pss_policy() -> None:
    # The one thing the SDK's servicer cannot do: hand the `pss` policy's version to the others.
    _, ours = _servicers()
    pinned = analyzer_pb2.ConfigureAnalyzerRequest()
    pinned.policyConfig["pss"].properties.update({"version": "1.31"})  # tcp_rmem came in 1.32
    ours.Configure(pinned, None)
    rtype, props = wrap(
        "Pod", merge(BASE["pod"], {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem"}]}})
    )
    request = analyzer_pb2.AnalyzeRequest(type=rtype, properties=to_struct(props), urn="urn:p", name="p")
    assert "pss-baseline-sysctls" in {d.policyName for d in ours.Analyze(request, None).diagnostics}
    ours.Configure(analyzer_pb2.ConfigureAnalyzerRequest(), None)  # back to latest
    assert "pss-baseline-sysctls" not in {d.policyName for d in ours.Analyze(request, None).diagnostics}


def test_a_level_configured_after_a_type_was_judged_applies_to_it() -> None:
    # The servicer works out once per type token which policies judge it; Configure must
    # start that over, or a policy disabled (or enabled) mid-run would keep its old level.
    _, ours = _servicers()
    rtype, props = wrap("Deployment", merge(BASE["pod"], {"hostNetwork": True}))
    request = analyzer_pb2.AnalyzeRequest(type=rtype, properties=to_struct(props), urn="urn:d", name="d")

    def levels() -> dict[str, int]:
        return {d.policyName: d.enforcementLevel for d in ours.Analyze(request, None).diagnostics}

    assert levels()["pss-baseline-host-namespaces"] == analyzer_pb2.MANDATORY
    off = analyzer_pb2.ConfigureAnalyzerRequest()
    off.policyConfig["pss-baseline-host-namespaces"].enforcementLevel = analyzer_pb2.DISABLED
    ours.Configure(off, None)
    assert "pss-baseline-host-namespaces" not in levels()
    advisory = analyzer_pb2.ConfigureAnalyzerRequest()
    advisory.policyConfig["pss-baseline-host-namespaces"].enforcementLevel = analyzer_pb2.ADVISORY
    ours.Configure(advisory, None)
    assert levels()["pss-baseline-host-namespaces"] == analyzer_pb2.ADVISORY


def test_sanitizing_never_modifies_the_inputs() -> None:
    # shapes.sanitize shares well-typed parts with the inputs and copies only what changes.
    _, props = wrap(
        "Deployment",
        merge(
            BASE["pod"],
            {
                "hostNetwork": "yes",
                "containers": [merge(BASE["pod"]["containers"][0], {"securityContext": {"procMount": {}}})],
            },
        ),
    )
    before = copy.deepcopy(props)
    template = ("spec", "template")
    clean, problems = sanitize(props, nest(template, POD_TEMPLATE), template)
    assert props == before
    assert {p.path for p in problems} == {
        "spec.template.spec.hostNetwork",
        "spec.template.spec.containers[0].securityContext.procMount",
    }
    assert clean["spec"]["template"]["spec"]["hostNetwork"] is None
    assert clean["spec"]["template"]["spec"]["containers"][0]["securityContext"]["procMount"] is None
    assert clean["metadata"] is props["metadata"]  # nothing to drop there: shared, not copied


@pytest.mark.parametrize(
    ("wire", "plain"),
    [
        ({"a": 3.0, "b": 0.5, "c": True, "d": None}, {"a": 3, "b": 0.5, "c": True, "d": None}),
        (
            {"s": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "pw"}},
            {"s": "pw"},
        ),
        (
            {"r": {"4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", "urn": "u"}},
            {"r": {"4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", "urn": "u"}},
        ),
        ({"l": [1.0, [2.0, {"x": "y"}]]}, {"l": [1, [2, {"x": "y"}]]}),
    ],
)
def test_decode(wire: dict[str, Any], plain: dict[str, Any]) -> None:
    s = struct_pb2.Struct()
    s.update(wire)
    assert servicer.decode_props(s) == plain


def test_decode_keeps_unknowns_unknown() -> None:
    s = struct_pb2.Struct()
    s.update({"image": UNKNOWN_STRING_VALUE})
    assert is_unknown(servicer.decode_props(s)["image"])


def test_the_aio_server_leaves_unimplemented_rpcs_unimplemented() -> None:
    # As the SDK's thread-pool server does: the engine falls back when Handshake is missing.
    import grpc
    from google.protobuf import empty_pb2

    from .pack_client import PackProcess

    with PackProcess() as pack:
        for call, request in (
            (pack.stub.Handshake, analyzer_pb2.AnalyzerHandshakeRequest()),
            (pack.stub.Cancel, empty_pb2.Empty()),
        ):
            with pytest.raises(grpc.RpcError) as err:
                call(request, timeout=30)
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert pack.plugin_info().version == servicer.SDK_VERSION
