"""The Shiksha Setu estate: load and validate the stack config, plan, build the target, export."""

import pulumi

from components.collector import prepare_collector
from components.config import ConfigError, load_estate
from components.plan.estate import plan


class StackConfigError(ConfigError, pulumi.RunError):
    """A ConfigError the Pulumi runtime reports as one clean error: the language host
    prints a RunError's message, where any other exception gets a Python traceback."""


prepare_collector()
try:
    config, secrets = load_estate()
except ConfigError as error:
    raise StackConfigError(error.problems) from None
estate = plan(config)
# The targets are peers; only the chosen one (and its provider SDK) is imported.
if config.target == "docker-host":
    from components.targets import docker_host as target
else:
    from components.targets import kubernetes as target
for key, value in target.build(estate, secrets).items():
    pulumi.export(key, value)
