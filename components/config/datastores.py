"""Compatibility names for the modules not yet switched to components/datastores/ (the
monitoring stack and the docker host): delete at the merge of issue 16."""

from components.datastores.postgres import PG_EXPORTER_ROLE
from components.datastores.redis import REDIS_MONITOR_USER
from components.datastores.registry import BROKER

__all__ = ["BROKER", "PG_EXPORTER_ROLE", "REDIS_MONITOR_USER"]
