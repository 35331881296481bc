"""Differential test: the pack's Pod Security verdict against the API server's own.

Hypothesis generates pods over every field the Pod Security Standards name, at pod,
container, init-container and ephemeral-container level. For each, the API server's answer
to a server-side dry-run in namespaces enforcing `baseline` and `restricted` (at
`latest`, i.e. 1.37, and pinned at v1.32) is compared with the pack's mandatory
pss-baseline-* / pss-restricted-* verdict at the same `pss.version`. A pod the server
refuses as invalid even in a `privileged` namespace is no pod at all and is skipped.

Ephemeral containers cannot be set on create: they are added to a compliant pod created
once per namespace, through a dry-run update of its `ephemeralcontainers` subresource,
which Pod Security admission judges like a create.

Every disagreement fails the test with the pod and both verdicts; the pack has no
deliberately stricter Pod Security rule (docs/policy-pack.md). A few hundred examples per
run; SHIKSHA_PSS_EXAMPLES=5000 runs more.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from .kube import Kube

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "policies") not in sys.path:
    sys.path.insert(0, str(ROOT / "policies"))

from shiksha_policies.pod_security import RULES  # noqa: E402
from shiksha_policies.pod_security._common import VERSION_KEY  # noqa: E402
from shiksha_policies.rule import Subject  # noqa: E402

pytestmark = [pytest.mark.apiserver, pytest.mark.slow, pytest.mark.timeout(3600)]

EXAMPLES = int(os.environ.get("SHIKSHA_PSS_EXAMPLES", "300"))
# (namespace suffix, PSA enforce-version label, the pack's pss.version)
VERSIONS = (("latest", "latest", "latest"), ("v132", "v1.32", "1.32"))
LEVELS = ("baseline", "restricted")
PSA_DENIED = "violates PodSecurity"
IMAGE = "registry.invalid/pss-probe:1.0.0"

CAPS = ["ALL", "NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN", "NET_RAW", "AUDIT_WRITE", "SYS_CHROOT", "BPF"]
SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
    "kernel.msgmax",
    "net.core.somaxconn",
]
SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t"]
VOLUMES = [
    {"emptyDir": {}},
    {"configMap": {"name": "cm"}},
    {"secret": {"secretName": "s"}},
    {"hostPath": {"path": "/var/log"}},
    {"nfs": {"server": "nfs.invalid", "path": "/x"}},
    {"image": {"reference": IMAGE}},
    {"persistentVolumeClaim": {"claimName": "c"}},
    {"downwardAPI": {"items": []}},
    {"projected": {"sources": []}},
]


def usually(draw: st.DrawFn, good: Any, other: st.SearchStrategy[Any], p_other: float = 0.06) -> Any:
    """The compliant value (None: unset) most of the time, so about a fifth of the pods
    pass Restricted and both verdicts are exercised; otherwise a draw from `other`."""
    return draw(other) if draw(st.integers(0, 999)) < p_other * 1000 else good


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def profile(types: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(types).map(
        lambda t: {"type": t, **({"localhostProfile": "profiles/p.json"} if t == "Localhost" else {})}
    )


PROFILE_TYPES = ["RuntimeDefault", "Localhost", "Unconfined"]
SELINUX = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(SELINUX_TYPES),
        "user": st.sampled_from(["", "system_u"]),
        "role": st.sampled_from(["", "system_r"]),
        "level": st.just("s0:c1,c2"),
    },
)


@st.composite
def container_security_context(draw: st.DrawFn) -> dict[str, Any] | None:
    caps = st.fixed_dictionaries(
        {},
        optional={
            "add": st.lists(st.sampled_from(CAPS[1:]), max_size=2, unique=True),
            "drop": st.lists(st.sampled_from(CAPS), max_size=2, unique=True),
        },
    )
    sc = {
        "runAsNonRoot": usually(draw, None, st.booleans()),
        "runAsUser": usually(draw, None, st.sampled_from([0, 1000])),
        "seccompProfile": usually(draw, None, profile(PROFILE_TYPES)),
        "appArmorProfile": usually(draw, None, profile(PROFILE_TYPES)),
        "seLinuxOptions": usually(draw, None, SELINUX),
        "windowsOptions": usually(draw, None, st.fixed_dictionaries({"hostProcess": st.booleans()}), 0.02),
        "privileged": usually(draw, None, st.booleans()),
        "allowPrivilegeEscalation": usually(draw, False, st.sampled_from([True, None])),
        "procMount": usually(draw, None, st.sampled_from(["Default", "Unmasked"])),
        "capabilities": usually(draw, {"drop": ["ALL"]}, caps, 0.2),
        "readOnlyRootFilesystem": usually(draw, None, st.booleans(), 0.3),
    }
    return drop_none(sc) or None


@st.composite
def pod_security_context(draw: st.DrawFn) -> dict[str, Any] | None:
    sysctls = st.lists(st.sampled_from(SYSCTLS), min_size=1, max_size=2, unique=True).map(
        lambda names: [{"name": n, "value": "1"} for n in names]
    )
    sc = {
        "runAsNonRoot": usually(draw, True, st.sampled_from([False, None])),
        "runAsUser": usually(draw, 1000, st.sampled_from([0, None])),
        "seccompProfile": usually(
            draw, {"type": "RuntimeDefault"}, st.one_of(st.none(), profile(PROFILE_TYPES))
        ),
        "appArmorProfile": usually(draw, None, profile(PROFILE_TYPES)),
        "seLinuxOptions": usually(draw, None, SELINUX),
        "windowsOptions": usually(draw, None, st.fixed_dictionaries({"hostProcess": st.booleans()}), 0.02),
        "sysctls": usually(draw, None, sysctls, 0.15),
    }
    return drop_none(sc) or None


@st.composite
def handler(draw: st.DrawFn) -> dict[str, Any]:
    host = usually(draw, None, st.sampled_from(["", "10.0.0.1", "metadata.invalid"]), 0.5)
    if draw(st.booleans()):
        return {"httpGet": drop_none({"path": "/", "port": 8080, "host": host})}
    return {"tcpSocket": drop_none({"port": 8080, "host": host})}


@st.composite
def container(draw: st.DrawFn, name: str, ephemeral: bool = False) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": IMAGE, "securityContext": draw(container_security_context())}
    if not ephemeral:
        c["ports"] = usually(
            draw,
            None,
            st.sampled_from([[{"containerPort": 8080}], [{"containerPort": 8080, "hostPort": 8080}]]),
            0.2,
        )
        c["readinessProbe"] = usually(draw, None, handler(), 0.2)
        c["livenessProbe"] = usually(draw, None, handler(), 0.1)
        c["startupProbe"] = usually(draw, None, handler(), 0.05)
        c["lifecycle"] = usually(
            draw,
            None,
            st.fixed_dictionaries({}, optional={"postStart": handler(), "preStop": handler()}),
            0.1,
        )
    return drop_none(c)


@st.composite
def pod_spec(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    containers = [draw(container(f"c{i}")) for i in range(draw(st.integers(1, 2)))]
    inits = [draw(container(f"init{i}")) for i in range(draw(st.integers(0, 1)))]
    volumes = usually(draw, [{"emptyDir": {}}], st.lists(st.sampled_from(VOLUMES), max_size=2), 0.3)
    spec = drop_none(
        {
            "automountServiceAccountToken": False,
            "hostNetwork": usually(draw, None, st.booleans(), 0.08),
            "hostPID": usually(draw, None, st.booleans(), 0.05),
            "hostIPC": usually(draw, None, st.booleans(), 0.05),
            "hostUsers": usually(draw, None, st.booleans(), 0.15),
            "os": usually(draw, None, st.sampled_from([{"name": "linux"}, {"name": "windows"}]), 0.08),
            "securityContext": draw(pod_security_context()),
            "containers": containers,
            "initContainers": inits or None,
            "volumes": [{"name": f"v{i}", **v} for i, v in enumerate(volumes)] or None,
        }
    )
    annotations: dict[str, str] = {}
    if draw(st.integers(0, 99)) < 10:
        value = draw(st.sampled_from(["runtime/default", "localhost/p", "unconfined", ""]))
        annotations[f"container.apparmor.security.beta.kubernetes.io/{containers[0]['name']}"] = value
    return spec, annotations


examples = st.one_of(
    pod_spec().map(lambda p: ("pod", p)),
    container("debug", ephemeral=True).map(lambda c: ("ephemeral", c)),
)

HOST_POD_SPEC: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "app",
            "image": IMAGE,
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
}


def pack_verdict(spec: dict[str, Any], annotations: dict[str, str], version: str) -> dict[str, list[str]]:
    """{level: the mandatory pss-* findings that deny it}; restricted includes baseline."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": annotations},
        "spec": spec,
    }
    config = {VERSION_KEY: version}
    out: dict[str, list[str]] = {"baseline": [], "restricted": []}
    for rule in RULES:
        subject = Subject("kubernetes:core/v1:Pod", copy.deepcopy(pod), "p", "urn:p")
        for f in rule.evaluate(subject, config):
            text = f"{rule.name}: {f.render('pod')}"
            out["restricted"].append(text)
            if rule.name.startswith("pss-baseline-"):
                out["baseline"].append(text)
    return out


class Cluster:
    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.stamp = str(int(time.time()))
        self.namespaces: dict[tuple[str, str], str] = {}
        self.skipped = 0
        self.compared = 0

    def ns(self, level: str, suffix: str) -> str:
        return self.namespaces[(level, suffix)]

    def setup(self) -> None:
        targets = [("privileged", "latest", "latest")] + [
            (lvl, s, v) for lvl in LEVELS for s, v, _ in VERSIONS
        ]
        for level, suffix, label_version in targets:
            name = f"pss-{level}-{suffix}-{self.stamp}"
            labels = {
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/enforce-version": label_version,
            }
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
            r = self.kube.request("POST", "/api/v1/namespaces", body)
            assert r.status < 300, r.message
            self.namespaces[(level, suffix)] = name
        for name in self.namespaces.values():
            self._wait_for_default_account(name)
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "host"}, "spec": HOST_POD_SPEC}
            r = self.kube.request("POST", f"/api/v1/namespaces/{name}/pods", pod)
            assert r.status < 300, f"{name}: {r.message}"

    def _wait_for_default_account(self, ns: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.kube.request("GET", f"/api/v1/namespaces/{ns}/serviceaccounts/default").status == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"no default ServiceAccount in {ns}")

    def teardown(self) -> None:
        for name in self.namespaces.values():
            self.kube.request("DELETE", f"/api/v1/namespaces/{name}")

    def try_pod(self, ns: str, spec: dict[str, Any], annotations: dict[str, str]) -> tuple[int, str]:
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "probe", "annotations": annotations},
            "spec": spec,
        }
        r = self.kube.request("POST", f"/api/v1/namespaces/{ns}/pods", body, query="dryRun=All")
        return r.status, r.message

    def try_ephemeral(self, ns: str, c: dict[str, Any]) -> tuple[int, str]:
        current = self.kube.request("GET", f"/api/v1/namespaces/{ns}/pods/host").body
        current["spec"]["ephemeralContainers"] = [c]
        r = self.kube.request(
            "PUT", f"/api/v1/namespaces/{ns}/pods/host/ephemeralcontainers", current, query="dryRun=All"
        )
        return r.status, r.message


@pytest.fixture(scope="module")
def cluster(kube: Kube) -> Any:
    c = Cluster(kube)
    c.setup()
    yield c
    c.teardown()
    print(f"\nPSS differential: {c.compared} pods compared, {c.skipped} invalid pods skipped")


def server_allows(status: int, message: str, what: str) -> bool:
    if status < 300:
        return True
    assert status == 403 and PSA_DENIED in message, f"{what}: unexpected answer {status}: {message}"
    return False


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SHIKSHA_PSS_RANDOM") is None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(examples)
def test_the_pack_agrees_with_pod_security_admission(cluster: Cluster, example: tuple[str, Any]) -> None:
    shape, value = example
    if shape == "pod":
        spec, annotations = value
        attempt = lambda ns: cluster.try_pod(ns, spec, annotations)  # noqa: E731
    else:
        spec = {**copy.deepcopy(HOST_POD_SPEC), "ephemeralContainers": [value]}
        annotations = {}
        attempt = lambda ns: cluster.try_ephemeral(ns, value)  # noqa: E731
    note(json.dumps({"shape": shape, "spec": spec, "annotations": annotations}, indent=1))
    status, message = attempt(cluster.ns("privileged", "latest"))
    if status >= 300:
        cluster.skipped += 1  # not a valid pod: validation refused it before any policy
        return
    cluster.compared += 1
    for suffix, _label, version in VERSIONS:
        verdict = pack_verdict(spec, annotations, version)
        for level in LEVELS:
            status, message = attempt(cluster.ns(level, suffix))
            allowed = server_allows(status, message, f"{level}@{suffix}")
            denied_by_pack = verdict[level]
            pack_says = "denies: " + "; ".join(denied_by_pack) if denied_by_pack else "allows"
            assert allowed == (not denied_by_pack), (
                f"{level} at {suffix}: the API server {'allows' if allowed else 'denies'} "
                f"({message or 'created'}), the pack {pack_says}"
            )
