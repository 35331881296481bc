"""The Shiksha Setu estate: load and validate the stack config, plan, build the target, export."""

import importlib

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
# The targets are peers (components/targets/); only the chosen one, and its provider SDK, is imported.
target = importlib.import_module(f"components.targets.{config.target.replace('-', '_')}")
for key, value in target.build(estate, secrets).items():
    pulumi.export(key, value)
