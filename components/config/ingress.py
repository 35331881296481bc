"""The platform's edge (hosts, TLS, headers, limits); shared by the Kubernetes edge and NGINX."""

from __future__ import annotations

from .base import StrictModel


class IngressSpec(StrictModel):
    enabled: bool = True
