"""Network intent: who may talk to whom, turned into NetworkPolicies by ZeroTrustNetwork."""

from __future__ import annotations

from .base import StrictModel


class NetworkSpec(StrictModel):
    enabled: bool = True
