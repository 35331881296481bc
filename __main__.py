"""The Shiksha Setu estate: load and validate the stack config, plan, build the target, export."""

import importlib

import pulumi

from components.config.errors import ConfigError
from components.config.loader import load_estate
from components.plan.estate import plan
from components.program.collector import prepare_collector

# The exit code by which a Python program tells its language host that it has shown the
# user its error: upstream's pulumi-language-python and ours (tools/engine/langhost) then
# answer the engine with "bail", and the engine adds nothing. A RunError would be logged by
# the exec script and then exit 1, which the engine follows with "an unhandled error
# occurred: Program exited with non-zero exit code: 1".
REPORTED_EXIT_CODE = 32

prepare_collector()
try:
    config, secrets = load_estate()
    estate = plan(config)
except ConfigError as error:
    # Without a resource to attach to, the log call reaches the engine before this returns.
    pulumi.log.error(str(error))
    raise SystemExit(REPORTED_EXIT_CODE) from error
# The targets are peers (components/targets/); only the chosen one, and its provider SDK, is imported.
target = importlib.import_module(f"components.targets.{config.target.replace('-', '_')}")
for key, value in target.build(config, estate, secrets).items():
    pulumi.export(key, value)
