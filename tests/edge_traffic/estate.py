"""The estate's own edge objects, rendered by the real program under mocks, applied to the
test API server and served by a real Traefik in front of recording backends.

What the test adds is what a cluster would have besides the estate: the namespace, the
controller's class object (GatewayClass / IngressClass), the certificate Secret
cert-manager would write, and each backend Service's EndpointSlice (no Pods here, so the
estate's Services lose their selectors). The one change to the estate's objects: the
Gateway's listener ports become the Traefik entry points' free ports (443 and 80 are not
free on a shared machine), because Traefik binds a listener to the entry point of its port.
"""

from __future__ import annotations

import contextlib
import copy
import http.client
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websocket

from components.values.numbers import whole_numbers
from tests.apiserver.estate import ident
from tests.ingress.support import edge_objects
from tests.nginx import harness
from tests.support.program import run_program
from tests.support.tools import free_port

from .traefik import (
    GATEWAY_CONTROLLER,
    INGRESS_NGINX_CONTROLLER,
    Cluster,
    RunningTraefik,
    apply,
    local_service,
    running_traefik,
    tls_secret,
    wait_until,
)

HOST = harness.HOST


@dataclass
class LiveEdge:
    mode: str
    namespace: str
    traefik: RunningTraefik
    upstreams: dict[str, harness.Upstream]  # by workload (Service) name
    cafile: Path
    objects: list[dict[str, Any]]  # the estate's edge objects, as applied
    cluster: Cluster

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, method: str = "GET", timeout: float = 10
    ) -> tuple[int, dict[str, str], bytes]:
        return harness.get(
            self.traefik.websecure_port, self.cafile, path, dict(headers or {}), method, timeout
        )

    def seen(self) -> dict[str, int]:
        """How many requests each backend has recorded so far."""
        return {name: len(u.seen) for name, u in self.upstreams.items()}

    def reached_since(self, before: Mapping[str, int]) -> dict[str, list[str]]:
        """The paths each backend received after `before` (from seen())."""
        return {
            name: u.paths[before[name] :] for name, u in self.upstreams.items() if u.paths[before[name] :]
        }

    # --- checks both modes make --------------------------------------------------------

    def assert_reaches(self, path: str, workload: str) -> None:
        """A 200 from `workload`, which recorded exactly this request, and no one else."""
        before = self.seen()
        status, headers, _ = self.get(path)
        assert (status, headers.get("x-upstream")) == (200, workload), (path, status, headers)
        assert self.reached_since(before) == {workload: [path]}

    def assert_redirects(self, method: str, path: str, statuses: tuple[int, ...]) -> None:
        """Plain HTTP answers a permanent redirect to the same URL over HTTPS, nothing else."""
        before = self.seen()
        conn = http.client.HTTPConnection("127.0.0.1", self.traefik.web_port, timeout=10)
        try:
            conn.request(method, path, headers={"Host": HOST})
            response = conn.getresponse()
            got = (response.status, response.getheader("Location"))
        finally:
            conn.close()
        assert got[0] in statuses and got[1] == f"https://{HOST}{path}", (method, path, got)
        assert self.reached_since(before) == {}

    def assert_serves_the_secret_certificate(self) -> None:
        context = ssl.create_default_context(cafile=str(self.cafile))
        with (
            socket.create_connection(("127.0.0.1", self.traefik.websecure_port), timeout=10) as sock,
            context.wrap_socket(sock, server_hostname=HOST) as tls,
        ):
            served = tls.getpeercert(binary_form=True)
        assert served == ssl.PEM_cert_to_DER_cert(self.cafile.read_text())

    def assert_streams_events(self) -> None:
        """The stream path reaches the API and its events arrive while it still writes."""
        api = self.upstreams["api"]
        harness.start_event_stream(api)
        timeout = harness.SSE_CLIENT_WAIT_SECONDS * (harness.SSE_EVENTS + 1)
        conn = harness.EdgeConnection(self.traefik.websecure_port, self.cafile, timeout=timeout)
        try:
            conn.request("GET", "/api/v2/chat/stream", headers={"Accept": "text/event-stream"})
            response = conn.getresponse()
            assert (response.status, response.getheader("X-Upstream")) == (200, "api")
            assert response.getheader("Content-Type", "").startswith("text/event-stream")
            events = harness.read_events(response, api)
        finally:
            conn.close()
        harness.assert_event_by_event(events, api, "Traefik")

    def assert_websocket_echoes(self) -> None:
        before = self.seen()
        ws = websocket.create_connection(
            f"wss://127.0.0.1:{self.traefik.websecure_port}/ws",
            host=HOST,
            sslopt={"ca_certs": str(self.cafile), "server_hostname": HOST},
            timeout=10,
        )
        try:
            ws.send("namaste")
            assert ws.recv() == "namaste"
        finally:
            ws.close()
        assert self.reached_since(before) == {"api": ["/ws"]}

    def live(self, kind: str, name: str) -> dict[str, Any]:
        """The object as the API server holds it now (status included)."""
        [obj] = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        response = self.cluster.kube.get(obj)
        assert response.status == 200, f"GET {ident(obj)}: {response.status} {response.message}"
        return response.body


def _on_ports(gateway: dict[str, Any], https_port: int, http_port: int) -> dict[str, Any]:
    moved = copy.deepcopy(gateway)
    for listener in moved["spec"]["listeners"]:
        listener["port"] = {443: https_port, 80: http_port}[listener["port"]]
    return moved


def _backend_services(snapshot_objects: list[dict[str, Any]], names: set[str]) -> list[dict[str, Any]]:
    return [o for o in snapshot_objects if o["kind"] == "Service" and o["metadata"]["name"] in names]


def _backend_names(objects: list[dict[str, Any]]) -> set[str]:
    names = set()
    for obj in objects:
        if obj["kind"] == "HTTPRoute":
            names |= {b["name"] for rule in obj["spec"]["rules"] for b in rule.get("backendRefs", [])}
        elif obj["kind"] == "Ingress":
            names |= {
                p["backend"]["service"]["name"]
                for rule in obj["spec"]["rules"]
                for p in rule["http"]["paths"]
            }
    return names


@contextlib.contextmanager
def live_edge(
    cluster: Cluster,
    traefik_bin: str,
    address: str,
    directory: Path,
    mode: str,
    namespace: str,
    overrides: Mapping[str, Any],
    backend_ports: Mapping[str, int] | None = None,
) -> Iterator[LiveEdge]:
    """With `backend_ports` (workload -> port on `address`) the backends are the caller's,
    and no recorder is started (`upstreams` is empty)."""
    ingress = {"mode": mode}
    if mode == "gateway-api":
        ingress["gatewayApi"] = {"gatewayClass": "traefik", "policyProvider": "traefik"}  # type: ignore[assignment]
    snapshot = run_program(
        "prod", overrides={**overrides, "ingress": ingress, "shiksha-setu:namespace": {"name": namespace}}
    )
    objects = edge_objects(snapshot)
    everything = [whole_numbers(r.manifest) for r in snapshot.kubernetes_objects()]
    http_port, https_port = free_port(), free_port()
    applied = [_on_ports(o, https_port, http_port) if o["kind"] == "Gateway" else o for o in objects]

    if backend_ports is None:
        upstreams = {
            name: harness.Upstream(address=address, name=name).start() for name in _backend_names(objects)
        }
        ports = {name: u.port for name, u in upstreams.items()}
    else:
        upstreams, ports = {}, dict(backend_ports)
    try:
        cert, key = harness.make_certificate(directory)
        secret = (
            {o["spec"]["tls"][0]["secretName"] for o in objects if o["kind"] == "Ingress"}
            | {
                ref["name"]
                for o in objects
                if o["kind"] == "Gateway"
                for listener in o["spec"]["listeners"]
                for ref in listener.get("tls", {}).get("certificateRefs", [])
            }
        ).pop()
        cluster_side: list[dict[str, Any]] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            tls_secret(secret, namespace, cert, key),
        ]
        if mode == "gateway-api":
            cluster_side.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "GatewayClass",
                    "metadata": {"name": "traefik"},
                    "spec": {"controllerName": GATEWAY_CONTROLLER},
                }
            )
        else:
            cluster_side.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IngressClass",
                    "metadata": {"name": "nginx"},
                    "spec": {"controller": INGRESS_NGINX_CONTROLLER},
                }
            )
        for service in _backend_services(everything, _backend_names(objects)):
            cluster_side += local_service(service, address, ports[service["metadata"]["name"]])
        apply(cluster.kube, cluster_side)
        apply(cluster.kube, applied)
        with running_traefik(
            traefik_bin, cluster.kubeconfig, directory, mode, namespace, address, (http_port, https_port)
        ) as traefik:
            edge = LiveEdge(mode, namespace, traefik, upstreams, cert, applied, cluster)

            def serving() -> bool:
                try:
                    return edge.get("/")[0] == 200
                except OSError:
                    return False

            wait_until("a 200 for / through Traefik", serving, 90, traefik.tail)
            yield edge
    finally:
        for upstream in upstreams.values():
            upstream.stop()
