"""The estate's secrets: read only from Pulumi secret config, kept as secret Outputs.

Each datastore role has a password of its own, so one leaked credential opens one door.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.datastores import registry

from .estate import EstateConfig


def required_secrets(config: EstateConfig) -> dict[str, str]:
    """Secret config key -> what needs it. Only what the stack really uses is required."""
    needed = registry.required_secrets(config)
    if config.monitoring.enabled and config.monitoring.alertmanager.pagerduty_enabled:
        needed["pagerdutyRoutingKey"] = (
            "the PagerDuty Events v2 routing key of Alertmanager's critical receiver"
        )
    if config.logging.enabled and config.logging.username is not None:
        needed["loggingPassword"] = f"the log endpoint's password for user {config.logging.username}"
    if config.cdn.enabled:
        needed["cdnOriginAuth"] = f"the value the CDN sends in {config.cdn.origin_auth_header}"
    if config.secrets.external:
        # The operator fetches every workload secret (and the CDN's value) from the manager;
        # only the build's push token (used by Pulumi itself, never by a workload) can still
        # be required.
        needed.clear()
    if config.images.build is not None:
        needed["registryPassword"] = (
            f"the token that pushes images.build to {config.images.build.registry} "
            f"as {config.images.build.username}"
        )
    return needed


@dataclass(frozen=True)
class EstateSecrets:
    values: dict[str, pulumi.Output[str]]

    def __getitem__(self, key: str) -> pulumi.Output[str]:
        return self.values[key]

    def get(self, key: str) -> pulumi.Output[str] | None:
        return self.values.get(key)
