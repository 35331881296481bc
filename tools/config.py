"""Prints a stack's effective configuration, or the JSON schema of the configuration model.

    python -m tools.config <stack>      (make config STACK=<stack>)
    python -m tools.config --schema     (make config-schema)

The effective configuration is Pulumi.<stack>.yaml merged over the production defaults by
the loader the program runs (components/config/loader.py), printed as a stack file with
Pulumi's camelCase keys: copy any part of it into the stack file to change it. No engine
is involved. Secrets are printed as [secret]: their ciphertext is never decrypted, and a
plaintext value in the stack file is never echoed. A required secret the file does not
hold (prod's come from the deploy environment) is printed as [secret: not set]. A bad
configuration prints the same errors as `make preview`, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import yaml
from pulumi.runtime import config as runtime_config

from components.config.errors import ConfigError
from components.config.estate import EstateConfig
from components.config.loader import PROJECT, load_secrets, parse_estate, stack_values
from components.config.secrets import required_secrets
from tests.support.program import _flatten, stack_config
from tools.render import is_stack

# What is printed in place of a secret's value, and of a required secret the file lacks.
SECRET = "[secret]"  # noqa: S105
NOT_SET = "[secret: not set]"


def effective_config(config: dict[str, Any]) -> dict[str, Any]:
    """{"config": {"shiksha-setu:<key>": value, ...}} for a stack file's `config:`: the
    validated model, every secret as SECRET, a required secret the file does not hold as
    NOT_SET (a deploy environment sets those). Raises ConfigError with the loader's problems."""
    prefix = f"{PROJECT}:"
    secure = [key for key, value in config.items() if isinstance(value, dict) and "secure" in value]
    # The engine's view of the stack (JSON strings, secrets flagged), with SECRET standing in
    # for every secret's value: the ciphertext is never decrypted.
    # Other namespaces' secrets are not the program's to read.
    stand_ins = {key.removeprefix(prefix): SECRET for key in secure if ":" not in key.removeprefix(prefix)}
    flat, secret_keys = _flatten(config, stand_ins)
    runtime_config.set_all_config(flat, secret_keys)
    estate = parse_estate(stack_values())
    missing = [key for key in required_secrets(estate) if f"{prefix}{key}" not in flat]
    runtime_config.set_all_config(*_flatten(config, stand_ins | dict.fromkeys(missing, NOT_SET)))
    # Reading a secret makes a secret Output, whose futures want an event loop; the SDK
    # tracks each Output until it resolves, so they are run to the end before the loop
    # closes (a later program in this process would otherwise wait on a closed loop).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        secrets = load_secrets(estate)  # what else it refuses: plaintext, or set though external
    finally:
        loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
    shown: dict[str, Any] = {
        f"{prefix}{key}": value for key, value in estate.model_dump(mode="json", by_alias=True).items()
    }
    shown.update({f"{prefix}{key}": NOT_SET if key in missing else SECRET for key in secrets.values})
    # Other namespaces' keys (a provider's) as the stack file has them.
    shown.update(
        {
            key: SECRET if key in secure else value
            for key, value in config.items()
            if ":" in key and not key.startswith(prefix)
        }
    )
    return {"config": dict(sorted(shown.items()))}


def schema() -> dict[str, Any]:
    """The JSON schema of one stack's `shiksha-setu:` values, with the stack file's keys."""
    return EstateConfig.model_json_schema(by_alias=True, mode="validation")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.config", description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("stack", nargs="?", help="the <stack> of a Pulumi.<stack>.yaml")
    which.add_argument("--schema", action="store_true", help="print the model's JSON schema instead")
    args = parser.parse_args(argv)
    if args.schema:
        print(json.dumps(schema(), indent=2))
        return 0
    if not is_stack(args.stack):
        return 2
    try:
        shown = effective_config(stack_config(args.stack))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    origin = f"Pulumi.{args.stack}.yaml merged over the production defaults"
    print(f"# stack {args.stack}: {origin}; secrets as {SECRET}")
    print(yaml.safe_dump(shown, sort_keys=False, default_flow_style=False, allow_unicode=True), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
