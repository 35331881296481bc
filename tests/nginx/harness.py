"""A real nginx on loopback running the generated configuration, in front of an upstream
the test serves. Used by the nginx tests and by bench/nginx_edge.py."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import pwd
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config.cdn import CdnSpec
from components.config.docker_host import NginxSettings
from components.config.edge import EdgeSpec
from components.render.nginx import Listen, NginxPaths, render_nginx_conf

HOST = "shikshasetu.example.org"
CDN_ORIGIN_AUTH = "cdn-origin-auth.conf"
SSE_EVENTS = 5
# How long the upstream waits for the client to have an event before it sends the next one
# anyway: only a proxy that holds the stream back waits this long, however busy the machine.
SSE_CLIENT_WAIT_SECONDS = 10
BIG_BODY = json.dumps([{"id": i, "title": f"Lesson {i}", "body": "Shiksha Setu " * 8} for i in range(300)])


def make_certificate(directory: Path, host: str = HOST) -> tuple[Path, Path]:
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _websocket_echo(rfile: Any, wfile: Any) -> None:
    """Echoes one client frame (RFC 6455: masked from the client, unmasked back), small
    frames only: what a proxy's upgrade handling needs to show."""
    first, second = rfile.read(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(rfile.read(2), "big")
    mask = rfile.read(4)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(rfile.read(length)))
    header = (
        bytes([first, len(payload)])
        if len(payload) < 126
        else bytes([first, 126, *len(payload).to_bytes(2, "big")])
    )
    wfile.write(header + payload)
    wfile.flush()


@dataclass
class Upstream:
    """Records every request that reached it; serves JSON echoes, a large body, an SSE
    stream, a slow answer (`?sleep=<s>`), a 404 (`/missing` in the path) and a WebSocket
    echo. `name` is sent back in X-Upstream, so a client sees which workload answered."""

    port: int = 0
    address: str = "127.0.0.1"
    name: str = "upstream"
    seen: list[dict[str, Any]] = field(default_factory=list)
    # The client releases one per event it has read; the event numbers the upstream had to
    # send without the client having the one before are stalls.
    sse_client_has: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    sse_stalls: list[int] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> Upstream:
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Upstream", upstream.name)
                self.end_headers()
                self.wfile.write(body)

            def _record(self) -> None:
                upstream.seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers.items())}
                )

            def do_OPTIONS(self) -> None:
                self._record()
                self._send(200, b"{}", "application/json")

            def do_GET(self) -> None:
                self._record()
                sleep = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("sleep")
                if sleep:
                    time.sleep(float(sleep[0]))
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    # RFC 6455 fixes SHA-1 for the handshake; nothing here is a secret.
                    accept = hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WEBSOCKET_GUID).encode())  # noqa: S324
                    self.send_response(101)
                    self.send_header("Upgrade", "websocket")
                    self.send_header("Connection", "Upgrade")
                    self.send_header("Sec-WebSocket-Accept", base64.b64encode(accept.digest()).decode())
                    self.end_headers()
                    self.wfile.flush()
                    _websocket_echo(self.rfile, self.wfile)
                    self.close_connection = True
                elif self.path.startswith("/api/v2/chat/stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.send_header("Connection", "close")
                    self.send_header("X-Upstream", upstream.name)
                    self.end_headers()
                    self.wfile.flush()
                    for index in range(SSE_EVENTS):
                        self.wfile.write(f"id: {index}\ndata: token-{index}\n\n".encode())
                        self.wfile.flush()
                        if not upstream.sse_client_has.acquire(timeout=SSE_CLIENT_WAIT_SECONDS):
                            upstream.sse_stalls.append(index)
                    self.close_connection = True
                elif "/missing" in self.path:
                    self._send(404, b'{"error":"not found"}', "application/json")
                elif self.path.startswith("/api/big"):
                    self._send(200, BIG_BODY.encode(), "application/json")
                elif self.path.startswith("/bench"):
                    self._send(200, b'{"ok":true}', "application/json")
                else:
                    body = json.dumps(
                        {"path": self.path, "request_id": self.headers.get("X-Request-ID")}
                    ).encode()
                    self._send(200, body, "application/json")

        self.server = http.server.ThreadingHTTPServer((self.address, self.port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def paths(self) -> list[str]:
        return [item["path"] for item in self.seen]


@dataclass
class RunningNginx:
    process: subprocess.Popen[bytes]
    http_port: int
    https_port: int
    directory: Path
    conf: str

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text() if path.exists() else ""


def nginx_user() -> str | None:
    """As root the master needs `user` for its workers; the test's own user keeps file access simple."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwuid(os.geteuid()).pw_name


def write_config(
    directory: Path,
    edge: EdgeSpec,
    settings: NginxSettings,
    upstream_address: str,
    https_port: int,
    http_port: int,
    cdn: CdnSpec | None = None,
) -> Path:
    """With `cdn` on, the caller writes the origin-auth include (CDN_ORIGIN_AUTH) itself."""
    cert, key = make_certificate(directory)
    (directory / "temp").mkdir(exist_ok=True)
    paths = NginxPaths(
        pid=str(directory / "nginx.pid"),
        cert=str(cert),
        key=str(key),
        trusted_cert=str(cert),
        temp_dir=str(directory / "temp"),
        access_log=str(directory / "access.log"),
        error_log=str(directory / "error.log"),
        cdn_origin_auth=str(directory / CDN_ORIGIN_AUTH),
    )
    upstreams = {route.backend: upstream_address for route in edge.route_list}
    text = render_nginx_conf(
        edge,
        settings,
        upstreams,
        paths,
        Listen(http_port=http_port, https_port=https_port, address="127.0.0.1", public_https_port=https_port),
        user=nginx_user(),
        cdn=cdn,
    )
    conf = directory / "nginx.conf"
    conf.write_text(text)
    return conf


def loopback_settings(**overrides: Any) -> NginxSettings:
    # Loopback only: OCSP lookups (which a self-signed certificate never triggers) stay local.
    return NginxSettings.model_validate({"resolvers": ["127.0.0.1"], **overrides})


@contextlib.contextmanager
def running_nginx(
    nginx: str, conf: Path, http_port: int, https_port: int, host: str = "127.0.0.1"
) -> Iterator[RunningNginx]:
    """Up once `host`:`https_port` accepts connections."""
    directory = conf.parent
    process = subprocess.Popen(
        [nginx, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    running = RunningNginx(process, http_port, https_port, directory, conf.read_text())
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"nginx exited with {process.returncode}: {output}{running.error_log()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((host, https_port), timeout=0.2),
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {https_port}: {running.error_log()}")
            time.sleep(0.05)
        yield running
    finally:
        if process.poll() is None:
            # SIGQUIT: graceful stop, the master waits for its workers.
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout:
            process.stdout.close()


class EdgeConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with the edge host as SNI, trusting the test's certificate."""

    def __init__(self, port: int, cafile: Path, host: str = HOST, timeout: float = 10, **ssl_opts: Any):
        context = ssl.create_default_context(cafile=str(cafile))
        for name, value in ssl_opts.items():
            setattr(context, name, value)
        super().__init__(host, port, timeout=timeout, context=context)
        self._edge_context = context

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._edge_context.wrap_socket(sock, server_hostname=self.host)


def get(
    port: int,
    cafile: Path,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    """One request over TLS with the edge host as SNI: status, headers (lower-case), body."""
    conn = EdgeConnection(port, cafile, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def raw_get(
    port: int, cafile: Path, path: str = "/", headers: dict[str, str] | None = None, host: str = HOST
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Status and response header lines as raw bytes, split at the first ': ' only, with
    nothing stripped or folded: what NGINX wrote, not what an HTTP client makes of it (and
    no client-side line-length limit)."""
    context = ssl.create_default_context(cafile=str(cafile))
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    request += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items()) + "\r\n"
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=host) as tls,
    ):
        tls.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    status = int(head[0].split(b" ")[1])
    pairs = []
    for line in head[1:]:
        name, _, value = line.partition(b": ")
        pairs.append((name, value))
    return status, pairs


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def read_events(response: http.client.HTTPResponse, upstream: Upstream) -> list[str]:
    """Server-Sent Events as they arrive, telling the upstream of each one it has (so the
    upstream sends the next only then: causal, not timed; see Upstream.sse_client_has)."""
    events: list[str] = []
    buffer = b""
    while True:
        chunk = response.read1(65536)
        if not chunk:
            return events
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            events.append(event.decode())
            upstream.sse_client_has.release()


def start_event_stream(upstream: Upstream) -> None:
    """Before a stream request: no stall or release left from an earlier one."""
    upstream.sse_stalls.clear()
    upstream.sse_client_has = threading.Semaphore(0)


def assert_event_by_event(events: list[str], upstream: Upstream, proxy: str) -> None:
    """Every event arrived, in order, and the upstream never had to send one before the
    client had the one before it: a proxy that buffers the stream shows as stalls."""
    assert [e.splitlines()[-1] for e in events] == [f"data: token-{i}" for i in range(SSE_EVENTS)]
    assert upstream.sse_stalls == [], (
        f"the upstream waited {SSE_CLIENT_WAIT_SECONDS} s for the client to get events "
        f"{upstream.sse_stalls} through {proxy} before sending on: the stream was held back"
    )
