"""No input crashes an RPC: a property test drives the pack process over gRPC.

Objects of every covered type (each pod-bearing kind, its Patch and List types, the
kinds the guardrails and stack policies read, the Docker types) start from a valid object
and get wrong types at any path, new keys the pack reads holding anything, deep nesting,
huge numbers and 5,000-digit strings. Every Analyze and AnalyzeStack call must answer,
and no answer may be the pack's fail-closed "could not judge" net: a wrong shape must be
a violation naming the field, decided by the policy itself.

CI runs a bounded number of examples; SHIKSHA_FUZZ_EXAMPLES=2000 runs more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shiksha_policies.rule import CRASH

from .harness import BASE, KINDS, TYPE_TOKENS, wrap
from .pack_client import PackProcess

pytestmark = [pytest.mark.timeout(1800), pytest.mark.slow]

EXAMPLES = int(os.environ.get("SHIKSHA_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SHIKSHA_FUZZ_RANDOM") is None,  # CI: the same examples each run
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Field names the pack reads anywhere, so inserted keys land where a policy looks.
VOCABULARY = [
    "securityContext",
    "procMount",
    "seccompProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "type",
    "user",
    "role",
    "capabilities",
    "add",
    "drop",
    "privileged",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "hostPath",
    "volumes",
    "ports",
    "hostPort",
    "sysctls",
    "name",
    "windowsOptions",
    "hostProcess",
    "os",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "readinessProbe",
    "livenessProbe",
    "httpGet",
    "tcpSocket",
    "host",
    "lifecycle",
    "preStop",
    "resources",
    "limits",
    "requests",
    "image",
    "metadata",
    "annotations",
    "labels",
    "namespace",
    "spec",
    "template",
    "items",
    "data",
    "binaryData",
    "tls",
    "hosts",
    "rules",
    "listeners",
    "protocol",
    "parentRefs",
    "backendRefs",
    "filters",
    "selector",
    "matchLabels",
    "matchExpressions",
    "podSelector",
    "policyTypes",
    "ingress",
    "egress",
    "minAvailable",
    "maxUnavailable",
    "replicas",
    "automountServiceAccountToken",
    "serviceAccountName",
    "restartPolicy",
    "env",
    "labels",
    "nginx.ingress.kubernetes.io/custom-headers",
    "Strict-Transport-Security",
    "value",
    "4dabf18193072939515e22adb298388d",
    "privileged",
    "readOnly",
    "capabilities",
    "mounts",
]

HUGE_DIGITS = "9" * 5000
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 0.5, 2**63, 0.0]),
    st.text(max_size=20),
    st.sampled_from(["", HUGE_DIGITS, f"max-age={HUGE_DIGITS}", "Unmasked", "Unconfined", "ALL", " " * 3000]),
)


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"securityContext": value}
    return value


json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
) | st.integers(min_value=1, max_value=60).map(deep)

EXTRA_TYPES = {
    "kubernetes:core/v1:ConfigMap": {"metadata": {"name": "c", "namespace": "ns"}, "data": {"a": "b"}},
    "kubernetes:core/v1:Service": {"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}},
    "kubernetes:core/v1:Namespace": {"metadata": {"name": "ns"}},
    "kubernetes:core/v1:ServiceAccount": {"metadata": {"name": "default", "namespace": "ns"}},
    "kubernetes:core/v1:ResourceQuota": {"metadata": {"name": "q", "namespace": "ns"}, "spec": {"hard": {}}},
    "kubernetes:core/v1:LimitRange": {"metadata": {"name": "l", "namespace": "ns"}, "spec": {"limits": []}},
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": {
        "metadata": {"name": "deny", "namespace": "ns"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    },
    "kubernetes:networking.k8s.io/v1:Ingress": {
        "metadata": {
            "name": "i",
            "namespace": "ns",
            "annotations": {"nginx.ingress.kubernetes.io/custom-headers": "ns/h"},
        },
        "spec": {"tls": [{"hosts": ["a.example"]}], "rules": [{"host": "a.example"}]},
    },
    "kubernetes:policy/v1:PodDisruptionBudget": {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "a"}}},
    },
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": {
        "metadata": {"name": "g", "namespace": "ns"},
        "spec": {"listeners": [{"name": "http", "protocol": "HTTP"}]},
    },
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": {
        "metadata": {"name": "r", "namespace": "ns"},
        "spec": {"parentRefs": [{"name": "g"}], "rules": [{"backendRefs": [{"name": "s"}], "filters": []}]},
    },
    "docker:index/container:Container": {
        "image": "redis:7.4",
        "privileged": False,
        "readOnly": True,
        "capabilities": {"drops": ["ALL"]},
        "ports": [{"internal": 6379, "external": 6379, "ip": "127.0.0.1"}],
        "labels": [{"label": "org.opencontainers.image.version", "value": "1"}],
    },
    "docker:index/remoteImage:RemoteImage": {"name": "redis:7.4"},
    "docker-build:index:Image": {"tags": ["x:1"], "labels": {"a": "b"}},
}


def base_objects() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    pod = {**BASE["pod"], "initContainers": [BASE["container"]], "ephemeralContainers": [BASE["container"]]}
    for kind in KINDS:
        rtype, props = wrap(kind, pod)
        out[rtype] = props
        out[rtype + "Patch"] = props
        out[rtype + "List"] = {"items": [props, props]}
    for rtype, props in EXTRA_TYPES.items():
        out[rtype] = props
        if rtype.startswith("kubernetes:"):
            out[rtype + "Patch"] = props
            out[rtype + "List"] = {"items": [props]}
    return out


BASES = base_objects()
assert set(TYPE_TOKENS.values()) <= set(BASES)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def put(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        return {**obj, head: put(obj.get(head), rest, value)}
    if isinstance(obj, list) and isinstance(head, int) and head < len(obj):
        return [put(v, rest, value) if i == head else v for i, v in enumerate(obj)]
    return obj


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    rtype = draw(st.sampled_from(sorted(BASES)))
    props: Any = BASES[rtype]
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        where = draw(st.sampled_from(list(paths(props))))
        if draw(st.booleans()) and where:
            # a new key the pack reads, beside the chosen one
            where = (*where[:-1], draw(st.sampled_from(VOCABULARY)))
        props = put(props, where, draw(json_values))
    return rtype, props if isinstance(props, dict) else {"spec": props}


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    with PackProcess() as p:
        # Every policy at least advisory, so every check runs on every example.
        p.configure({})
        yield p


def assert_no_crash(diags: list[dict[str, Any]], what: str) -> None:
    crashed = [d for d in diags if CRASH in d["message"]]
    assert not crashed, f"{what}: {crashed[0]['message']}"


@FUZZ
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_no_generated_object_fails_an_rpc(
    pack: PackProcess, resources: list[tuple[str, dict[str, Any]]]
) -> None:
    named = [(rtype, props, f"r{i}") for i, (rtype, props) in enumerate(resources)]
    for rtype, props, name in named:
        # pack_client raises grpc.RpcError if the call fails
        assert_no_crash(pack.analyze(rtype, props, name), f"Analyze {rtype}")
    assert_no_crash(pack.analyze_stack(named), "AnalyzeStack")
    assert pack.proc.poll() is None, "the pack process died"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("procMount", {}, "a string"),
        ("seccompProfile", {"type": {}}, "a string"),
        ("appArmorProfile", {"type": []}, "a string"),
        ("seLinuxOptions", {"type": []}, "a string"),
        ("privileged", "yes", "a boolean"),
        ("runAsUser", 0.5, "an integer"),
        ("capabilities", {"add": "SYS_ADMIN"}, "a list"),
    ],
)
def test_the_issues_shapes_are_violations_naming_the_field(
    pack: PackProcess, field: str, value: Any, expected: str
) -> None:
    pod = {**BASE["pod"], "containers": [dict(BASE["pod"]["containers"][0])]}
    pod["containers"][0]["securityContext"] = {**pod["containers"][0]["securityContext"], field: value}
    rtype, props = wrap("Pod", pod, name="odd")
    diags = pack.analyze(rtype, props, "odd")
    assert_no_crash(diags, field)
    leaf = f"{field}.{next(iter(value))}" if isinstance(value, dict) and value else field
    want = f"expected {expected} at spec.containers[0].securityContext.{leaf}"
    assert any(want in d["message"] and d["level"] == "mandatory" for d in diags), [
        d["message"] for d in diags
    ]


def test_a_5000_digit_hsts_max_age_is_judged(pack: PackProcess) -> None:
    headers = {
        "metadata": {"name": "h", "namespace": "ns"},
        "data": {"Strict-Transport-Security": f"max-age={HUGE_DIGITS}"},
    }
    ingress = EXTRA_TYPES["kubernetes:networking.k8s.io/v1:Ingress"]
    diags = pack.analyze_stack(
        [
            ("kubernetes:core/v1:ConfigMap", headers, "h"),
            ("kubernetes:networking.k8s.io/v1:Ingress", ingress, "i"),
        ]
    )
    assert_no_crash(diags, "hsts")
    assert not [d for d in diags if d["policy"] == "edge-tls-hsts"], diags
    zero = {**headers, "data": {"Strict-Transport-Security": "max-age=" + "0" * 5000}}
    diags = pack.analyze_stack(
        [
            ("kubernetes:core/v1:ConfigMap", zero, "h"),
            ("kubernetes:networking.k8s.io/v1:Ingress", ingress, "i"),
        ]
    )
    assert any(d["policy"] == "edge-tls-hsts" and "max-age=0" in d["message"] for d in diags), diags
