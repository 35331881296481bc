"""Guardrails for the docker-host target (pulumi-docker and pulumi-docker-build objects)."""
