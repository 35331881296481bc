"""The estate's own Kubernetes guardrails, one concern per module."""
