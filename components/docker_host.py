"""The single-host Docker target (built in the container-estate issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.config.estate import EstateConfig
    from components.config.secrets import EstateSecrets
    from components.estate import Estate


def build_docker_host_estate(config: EstateConfig, secrets: EstateSecrets) -> Estate:
    raise NotImplementedError("target docker-host is not built yet")
