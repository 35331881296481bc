"""Monitoring: scrape jobs, alert rules, Alertmanager routing."""

from __future__ import annotations

from .base import StrictModel


class MonitoringSpec(StrictModel):
    enabled: bool = True
