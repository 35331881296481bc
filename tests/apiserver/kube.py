"""A small client over the official `kubernetes` package for what the tests need and its
generated API does not expose: server-side apply of arbitrary objects with the
response's `Warning` headers, which is where Pod Security `warn` mode and API
deprecations speak."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import config
from kubernetes.dynamic import DynamicClient

FIELD_MANAGER = "shiksha-setu-apiserver-test"


_WARNING = re.compile(r'^\d{3} \S+ "(?P<text>(?:[^"\\]|\\.)*)"')


def _warning_text(header: str) -> str:
    """The text of an RFC 7234 Warning header as the API server sends it: 299 - "text"."""
    match = _WARNING.match(header)
    return re.sub(r"\\(.)", r"\1", match["text"]) if match else header


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


class Kube:
    def __init__(self, kubeconfig: Path, cache_dir: Path):
        self.api_client = config.new_client_from_config(config_file=str(kubeconfig))
        self.host = self.api_client.configuration.host
        self._cache_dir = cache_dir
        self._dynamic: DynamicClient | None = None

    @property
    def dynamic(self) -> DynamicClient:
        if self._dynamic is None:
            self._dynamic = DynamicClient(self.api_client, cache_file=str(self._cache_dir / "discovery.json"))
        return self._dynamic

    def invalidate_discovery(self) -> None:
        """After CRDs are added, so their kinds resolve."""
        self.dynamic.resources.invalidate_cache()

    def path(self, obj: dict[str, Any], *, with_name: bool = True) -> str:
        resource = self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") if resource.namespaced else None
        return str(resource.path(name=meta["name"] if with_name else None, namespace=namespace))

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
        query: str = "",
    ) -> Response:
        # The client's own connection pool carries the kubeconfig's CA and client cert.
        pool = self.api_client.rest_client.pool_manager
        url = f"{self.host}{path}{'?' + query if query else ''}"
        headers = {"Accept": "application/json", "Content-Type": content_type}
        data = None if body is None else json.dumps(body).encode()
        raw = pool.request(method, url, body=data, headers=headers, timeout=60)
        try:
            parsed = json.loads(raw.data) if raw.data else {}
        except ValueError:
            parsed = {"message": raw.data.decode(errors="replace")}
        return Response(raw.status, parsed, [_warning_text(w) for w in raw.headers.getlist("Warning")])

    def apply(self, obj: dict[str, Any], *, dry_run: bool = False) -> Response:
        """Server-side apply as the Pulumi provider does it (one field manager, forced)."""
        query = f"fieldManager={FIELD_MANAGER}&force=true" + ("&dryRun=All" if dry_run else "")
        return self.request("PATCH", self.path(obj), obj, "application/apply-patch+yaml", query)

    def create(self, obj: dict[str, Any]) -> Response:
        return self.request("POST", self.path(obj, with_name=False), obj)

    def get(self, obj: dict[str, Any]) -> Response:
        return self.request("GET", self.path(obj))

    def items(self, path: str) -> list[dict[str, Any]]:
        """The items of a list path such as /api/v1/namespaces/x/pods."""
        response = self.request("GET", path)
        assert response.status == 200, f"GET {path}: {response.status} {response.message}"
        return list(response.body.get("items", []))
