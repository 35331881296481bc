"""Shiksha Setu CrossGuard policies.

Every policy judges the plain Kubernetes or Docker object as the engine hands it over
(resource type token plus camelCase inputs), so the pack holds for any program, raw YAML
and Helm charts included, and never trusts the estate's own components.
"""
