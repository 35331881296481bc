"""The datastores' alerts (down, connection saturation, memory): each datastore's own rules."""

from components.datastores.registry import alert_rules as rules

__all__ = ["rules"]
