"""The Shiksha Setu estate: load and validate the stack config, build, export."""

import pulumi

from components.collector import prepare_collector
from components.config import ConfigError, load_estate
from components.estate import build_estate


class StackConfigError(ConfigError, pulumi.RunError):
    """A ConfigError the Pulumi runtime reports as one clean error: the language host
    prints a RunError's message, where any other exception gets a Python traceback."""


prepare_collector()
try:
    config, secrets = load_estate()
except ConfigError as error:
    raise StackConfigError(error.problems) from None
estate = build_estate(config, secrets)
for key, value in estate.outputs.items():
    pulumi.export(key, value)
