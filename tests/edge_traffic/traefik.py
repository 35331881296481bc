"""A real Traefik Proxy (scripts/setup-test-tools.sh builds it) outside any cluster, reading
the estate's edge objects from the test kube-apiserver (tests/apiserver/controlplane.py)
and proxying to recording backends on this machine (tests/nginx/harness.Upstream).

The API server refuses loopback addresses in EndpointSlices, so the backends listen on the
machine's own non-loopback address: traffic to it never leaves the machine.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.apiserver.estate import ident, status_conditions, wait_for_crds
from tests.apiserver.kube import Kube
from tests.datastores.servers import stop
from tests.support.tools import free_port

GATEWAY_CONTROLLER = "traefik.io/gateway-controller"
INGRESS_NGINX_CONTROLLER = "k8s.io/ingress-nginx"


def local_address() -> str | None:
    """This machine's first global IPv4 address (`ip -4 addr`), or None."""
    out = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True, check=False
    ).stdout
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            return fields[fields.index("inet") + 1].split("/")[0]
    return None


# TEST-NET-1 (RFC 5737): never routed on the internet; only ever inside our own namespace.
PRIVATE_ADDRESS = "192.0.2.1"
CLONE_NEWNET = 0x40000000


def private_network_namespace() -> str:
    """Moves this thread (and every thread and process it starts later) into a new network
    namespace whose dummy interface (or, without the driver, loopback device) holds
    PRIVATE_ADDRESS: a non-loopback address for the EndpointSlices on a machine that has
    none, where no packet can leave. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWNET): {os.strerror(errno)}")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
    dummy = subprocess.run(["ip", "link", "add", "shiksha-edge0", "type", "dummy"], capture_output=True)
    # Without the dummy driver (some containers), the address goes on this namespace's own
    # loopback device: still not a loopback address, still unable to leave.
    device = "shiksha-edge0" if dummy.returncode == 0 else "lo"
    subprocess.run(
        ["ip", "addr", "add", f"{PRIVATE_ADDRESS}/32", "dev", device], check=True, capture_output=True
    )
    subprocess.run(["ip", "link", "set", device, "up"], check=True, capture_output=True)
    return PRIVATE_ADDRESS


def crd_files(traefik_bin: str) -> list[Path]:
    """The CRDs fetched next to the binary: Gateway API's standard channel and Traefik's."""
    directory = Path(os.path.realpath(traefik_bin)).parent / "crds"
    files = sorted(directory.glob("*.yaml"))
    assert len(files) == 2, f"expected the Gateway API and Traefik CRDs in {directory}, found {files}"
    return files


def install_crds(kube: Kube, traefik_bin: str) -> None:
    crds = [
        doc
        for path in crd_files(traefik_bin)
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    ]
    kinds = {crd["spec"]["names"]["kind"] for crd in crds}
    wanted = {"GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant", "Middleware", "TraefikService"}
    assert wanted <= kinds, f"CRDs missing from {crd_files(traefik_bin)}: {sorted(wanted - kinds)}"
    for crd in crds:
        response = kube.apply(crd)
        assert response.status < 300, f"apply {ident(crd)}: {response.status} {response.message}"
    wait_for_crds(kube, crds)


def apply(kube: Kube, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        response = kube.apply(obj)
        assert response.status < 300, (
            f"server-side apply of {ident(obj)}: {response.status} {response.message}"
        )


def tls_secret(name: str, namespace: str, cert: Path, key: Path) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace},
        "data": {
            "tls.crt": base64.b64encode(cert.read_bytes()).decode(),
            "tls.key": base64.b64encode(key.read_bytes()).decode(),
        },
    }


def local_service(service: dict[str, Any], address: str, port: int) -> list[dict[str, Any]]:
    """The estate's Service without its selector (no Pods here), and the EndpointSlice an
    EndpointSlice controller would have written: every named port on the local backend."""
    meta = service["metadata"]
    ports = service["spec"]["ports"]
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "spec": {"ports": [{k: p[k] for k in ("name", "port", "protocol") if k in p} for p in ports]},
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{meta['name']}-local",
                "namespace": meta["namespace"],
                "labels": {"kubernetes.io/service-name": meta["name"]},
            },
            "addressType": "IPv4",
            "ports": [{"name": p["name"], "port": port, "protocol": "TCP"} for p in ports],
            "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
        },
    ]


def wait_until(what: str, check: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
    """Polls `check` until it returns something truthy; fails naming `what` and the state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"{what} not seen after {timeout:.0f} s:\n{describe()}")


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status_conditions(obj)}


def route_conditions(
    route: dict[str, Any], controller: str = GATEWAY_CONTROLLER
) -> dict[str, dict[str, Any]]:
    """The conditions the controller wrote for each parent of an HTTPRoute, merged."""
    found: dict[str, dict[str, Any]] = {}
    for parent in (route.get("status") or {}).get("parents") or []:
        if parent.get("controllerName") == controller:
            found |= {c["type"]: c for c in parent.get("conditions") or []}
    return found


@dataclass
class RunningTraefik:
    process: subprocess.Popen[bytes]
    web_port: int
    websecure_port: int
    api_port: int
    log: Path

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])

    def rawdata(self) -> dict[str, Any]:
        """Traefik's own view of its routers, services and middlewares (its API on loopback)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/api/rawdata", timeout=5) as r:
            return dict(yaml.safe_load(r.read()))


def traefik_args(
    mode: str, namespace: str, address: str, web_port: int, websecure_port: int, api_port: int, log: Path
) -> list[str]:
    args = [
        # Nothing leaves the machine: no version check, no usage statistics.
        "--global.checknewversion=false",
        "--global.sendanonymoususage=false",
        "--log.level=INFO",
        f"--log.filepath={log}",
        f"--entrypoints.web.address=127.0.0.1:{web_port}",
        f"--entrypoints.websecure.address=127.0.0.1:{websecure_port}",
        f"--entrypoints.traefik.address=127.0.0.1:{api_port}",
        "--api.insecure=true",
        "--api.dashboard=false",
        "--ping=true",
    ]
    if mode == "gateway-api":
        return [
            *args,
            "--providers.kubernetesgateway=true",
            f"--providers.kubernetesgateway.namespaces={namespace}",
            f"--providers.kubernetesgateway.statusaddress.ip={address}",
            # The Middlewares the route's ExtensionRef filters name.
            "--providers.kubernetescrd=true",
            f"--providers.kubernetescrd.namespaces={namespace}",
        ]
    return [
        *args,
        # TLS on the HTTPS entry point only, so the ssl-redirect routers serve plain HTTP.
        "--entrypoints.websecure.http.tls=true",
        "--providers.kubernetesingressnginx=true",
        f"--providers.kubernetesingressnginx.watchnamespace={namespace}",
        f"--providers.kubernetesingressnginx.publishstatusaddress={address}",
    ]


@dataclass(frozen=True)
class Cluster:
    kube: Kube
    kubeconfig: Path


@contextlib.contextmanager
def running_traefik(
    traefik_bin: str,
    kubeconfig: Path,
    directory: Path,
    mode: str,
    namespace: str,
    address: str,
    ports: tuple[int, int],
) -> Iterator[RunningTraefik]:
    """Traefik with its web and websecure entry points on `ports` (plain HTTP, HTTPS)."""
    (web_port, websecure_port), api_port = ports, free_port()
    log = directory / "traefik.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_SERVICE_")}
    env["KUBECONFIG"] = str(kubeconfig)
    stdout = (directory / "traefik.out").open("wb")
    process = subprocess.Popen(
        [traefik_bin, *traefik_args(mode, namespace, address, web_port, websecure_port, api_port, log)],
        stdout=stdout,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    running = RunningTraefik(process, web_port, websecure_port, api_port, log)
    try:

        def ready() -> bool:
            assert process.poll() is None, f"traefik exited with {process.returncode}:\n{running.tail()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/ping", timeout=2) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        wait_until("traefik's /ping", ready, 60, running.tail)
        yield running
    finally:
        stop(process, timeout=15)
        stdout.close()
