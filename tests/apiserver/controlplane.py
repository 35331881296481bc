"""A throwaway Kubernetes control plane on loopback: etcd, kube-apiserver and
kube-controller-manager as three ordinary processes (built by tools/kube/bootstrap.sh).

No kubelet, scheduler or container runtime: Pods are created and admitted but stay
Pending, which is all admission needs. Everything lives in one temporary directory and
every process is stopped by `stop()`, which the session fixture runs however the tests end.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.support.ports import free_ports

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
CONTEXT = "shiksha-apiserver-test"
SERVICE_CIDR = "10.96.0.0/24"

# The admission chain of a production API server, named so a default that changes in a
# later release cannot silently drop the plugins these tests are about (PodSecurity,
# LimitRanger, ResourceQuota, ServiceAccount, NamespaceLifecycle).
ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
)


class ControlPlaneError(RuntimeError):
    pass


def missing_binaries() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None]


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed: {result.stderr}")


def make_pki(d: Path) -> None:
    """A CA that exists only for this run, the API server's serving cert, an admin client
    cert (group system:masters) and the service-account signing key."""
    d.mkdir(parents=True, exist_ok=True)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    _openssl(
        "req", "-x509", "-new", "-key", "ca.key", "-days", "2", "-subj", "/CN=shiksha-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", "ca.crt", cwd=d,
    )  # fmt: skip

    def leaf(name: str, subject: str, ext: str) -> None:
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
        _openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=d)
        (d / f"{name}.ext").write_text(ext)
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=d,
        )  # fmt: skip

    leaf(
        "apiserver",
        "/CN=kube-apiserver",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n",
    )
    leaf(
        "admin",
        "/O=system:masters/CN=shiksha-test-admin",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    # RSA because the service-account issuer signs with RS256 by default.
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key", cwd=d)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    _log_file: IO[bytes]

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class ControlPlane:
    workdir: Path
    # etcd's client and peer ports and the API server's, taken together so they differ.
    ports: tuple[int, ...] = field(default_factory=lambda: free_ports(3))
    processes: list[Process] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def etcd_port(self) -> int:
        return self.ports[0]

    @property
    def etcd_peer_port(self) -> int:
        return self.ports[1]

    @property
    def apiserver_port(self) -> int:
        return self.ports[2]

    @property
    def pki(self) -> Path:
        return self.workdir / "pki"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        t0 = time.monotonic()
        make_pki(self.pki)
        self._write_kubeconfig()
        self.timings["pki"] = time.monotonic() - t0

        t = time.monotonic()
        self._spawn("etcd", self._etcd_args())
        self._wait("etcd", lambda: self._http_ok(f"http://127.0.0.1:{self.etcd_port}/health"), 60)
        self.timings["etcd"] = time.monotonic() - t

        t = time.monotonic()
        self._spawn("kube-apiserver", self._apiserver_args())
        self._wait("kube-apiserver", lambda: self._https_ok("/readyz"), 180)
        self.timings["kube-apiserver"] = time.monotonic() - t

        t = time.monotonic()
        self._spawn("kube-controller-manager", self._controller_manager_args())
        # The ServiceAccount controller creating `default` in `default` proves the
        # controller manager is connected and running its controllers.
        self._wait(
            "kube-controller-manager",
            lambda: self._https_ok("/api/v1/namespaces/default/serviceaccounts/default"),
            180,
        )
        self.timings["kube-controller-manager"] = time.monotonic() - t
        self.timings["total"] = time.monotonic() - t0

    def stop(self) -> None:
        # Reverse order so the API server never sees its etcd vanish first.
        for proc in reversed(self.processes):
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
        for proc in reversed(self.processes):
            try:
                proc.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)
            proc._log_file.close()

    def alive(self) -> list[str]:
        return [p.name for p in self.processes if p.popen.poll() is None]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (log {p.log}) ---\n{p.tail()}" for p in self.processes)

    # --- processes -------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> None:
        path = shutil.which(name)
        if path is None:
            raise ControlPlaneError(f"{name} not found on PATH (build it with: bash tools/kube/bootstrap.sh)")
        log = self.workdir / f"{name}.log"
        log_file = log.open("wb")
        # Own process group, so stop() also reaches anything the binary forks.
        popen = subprocess.Popen(
            [path, *args], stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append(Process(name, popen, log, log_file))

    def _wait(self, name: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        proc = next(p for p in self.processes if p.name == name)
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise ControlPlaneError(f"{name} exited with {proc.popen.returncode}:\n{proc.tail()}")
            if ready():
                return
            time.sleep(0.25)
        raise ControlPlaneError(f"{name} not ready after {timeout:.0f} s:\n{proc.tail()}")

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        return ctx

    def _https_ok(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.server + path, context=self._ssl_context(), timeout=5) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    @staticmethod
    def _http_ok(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    # --- arguments -------------------------------------------------------------------
    def _etcd_args(self) -> list[str]:
        client = f"http://127.0.0.1:{self.etcd_port}"
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        return [
            "--name=test",
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=test={peer}",
            # Throwaway data: durability buys nothing and fsync dominates on a shared disk.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]

    def _apiserver_args(self) -> list[str]:
        p = self.pki
        return [
            f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # The `kubernetes` Service's endpoint reconciler refuses loopback addresses,
            # and nothing in the tests reaches the API server through that Service.
            "--endpoint-reconciler-type=none",
            f"--secure-port={self.apiserver_port}",
            f"--cert-dir={self.workdir / 'apiserver-certs'}",
            f"--tls-cert-file={p / 'apiserver.crt'}",
            f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={p / 'ca.crt'}",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=RBAC",
            f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
            # Privileged containers are allowed by the server itself, so the negative
            # control proves it is Pod Security admission that rejects them.
            "--allow-privileged=true",
            "--profiling=false",
            "--v=1",
        ]

    def _controller_manager_args(self) -> list[str]:
        p = self.pki
        return [
            f"--kubeconfig={self.kubeconfig}",
            "--leader-elect=false",
            "--controllers=*",
            f"--root-ca-file={p / 'ca.crt'}",
            f"--service-account-private-key-file={p / 'sa.key'}",
            # No serving endpoint: nothing scrapes it and it would need another port.
            "--secure-port=0",
            "--v=1",
        ]

    def _write_kubeconfig(self) -> None:
        p = self.pki
        self.kubeconfig.write_text(
            f"""apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {self.server}
    certificate-authority: {p / "ca.crt"}
users:
- name: {CONTEXT}-admin
  user:
    client-certificate: {p / "admin.crt"}
    client-key: {p / "admin.key"}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}-admin
current-context: {CONTEXT}
"""
        )
