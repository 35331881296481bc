"""Runs the real Pulumi program under Pulumi's mocks and records what it registers.

Tests, benchmarks and the validators (schemas, policy pack, network analyzer, API
server) all take the estate from here, so they judge exactly what `pulumi up` would send.
"""

from __future__ import annotations

import asyncio
import gc
import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import set_root_resource
from pulumi.runtime.stack import run_in_stack

from components.config.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "shiksha-setu"
SECRET_SIG = rpc._special_sig_key if hasattr(rpc, "_special_sig_key") else "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"

# Stand-ins for the values `pulumi config set --secret` holds in a real stack.
TEST_SECRETS = {
    "postgresAdminPassword": "pg-admin-test-Secret-0d3b",
    "postgresPassword": "pg-test-Secret-4f1c",
    "postgresExporterPassword": "pg-exporter-test-Secret-6e81",
    "postgresReplicationPassword": "pg-replication-test-Secret-3a4d",
    "redisPassword": "redis-test-Secret-9a2e",
    "redisMonitorPassword": "redis-monitor-test-Secret-2c57",
    "redisCachePassword": "redis-cache-test-Secret-8b90",
    "pagerdutyRoutingKey": "pd-test-routing-key-77c3",
    "registryPassword": "registry-test-token-1b5d",
}


@dataclass
class Recorded:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    custom: bool
    secret_paths: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    # URNs this resource waits for: depends_on plus every resource behind an Output input.
    dependencies: list[str] = field(default_factory=list)
    # Resource options as the engine receives them (deleteBeforeReplace, protect, retainOnDelete).
    options: dict[str, bool] = field(default_factory=dict)

    @property
    def parent_types(self) -> list[str]:
        """Types of the ancestors, outermost first, read from the URN's type chain."""
        chain = self.urn.split("::")[2]
        return chain.split("$")[:-1]

    @property
    def kind(self) -> str:
        return str(self.inputs.get("kind", ""))

    @property
    def manifest(self) -> dict[str, Any]:
        """The Kubernetes object as the provider would send it."""
        return {k: v for k, v in self.inputs.items() if not k.startswith("__")}


@dataclass
class Snapshot:
    stack: str
    resources: list[Recorded]
    outputs: dict[str, Any]
    output_secret_paths: list[str]
    error: BaseException | None = None

    def of_type(self, type_: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_]

    def kubernetes_objects(self) -> list[Recorded]:
        return [
            r
            for r in self.resources
            if r.custom and r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"
        ]

    def one(self, kind: str, name: str) -> Recorded:
        found = [
            r
            for r in self.kubernetes_objects()
            if r.kind == kind and r.inputs.get("metadata", {}).get("name") == name
        ]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def pod_templates(self) -> Iterator[tuple[Recorded, dict[str, Any]]]:
        for r in self.kubernetes_objects():
            if r.kind in ("Deployment", "StatefulSet"):
                yield r, r.inputs["spec"]["template"]


def _secret_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_MARK:
            yield path or "<root>"
            return
        for key, item in value.items():
            yield from _secret_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_paths(item, f"{path}[{index}]")


def _unwrap(value: Any) -> Any:
    """Drops the secret wrappers, so tests can read values (secret_paths says where they were)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_MARK:
            return _unwrap(value.get("value"))
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mocks_: pulumi.runtime.Mocks):
        super().__init__(mocks_)
        self.recorded: list[Recorded] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_output_secret_paths: list[str] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.recorded.append(
                Recorded(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=_unwrap(self.resources[response.urn].state)
                    if response.urn in self.resources
                    else {},
                    custom=request.custom,
                    secret_paths=list(_secret_paths(raw)),
                    aliases=[str(alias) for alias in request.aliases],
                    dependencies=list(request.dependencies),
                    options={
                        "deleteBeforeReplace": request.deleteBeforeReplace,
                        "protect": request.protect,
                        "retainOnDelete": request.retainOnDelete,
                    },
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.outputs)
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
            self.stack_output_secret_paths = list(_secret_paths(raw))
        return super().RegisterResourceOutputs(request)


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` of Pulumi.<stack>.yaml."""
    data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    return dict(data.get("config") or {})


def _flatten(config: Mapping[str, Any], secrets: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Config as the engine hands it to a program: JSON strings, secrets decrypted and flagged."""
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and "secure" in value:
            continue  # ciphertext from the stack file; replaced by the test value below
        flat[full] = value if isinstance(value, str) else json.dumps(value)
    for key, value in secrets.items():
        full = f"{PROJECT}:{key}"
        flat[full] = value
        secret_keys.append(full)
    return flat, secret_keys


def run_program(
    stack: str = "prod",
    overrides: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    plaintext: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
    preview: bool = False,
    raise_errors: bool = True,
) -> Snapshot:
    """Runs the program for a stack under mocks. `overrides` replace top-level config keys
    (a value of None removes the key); `plaintext` sets keys without the secret flag."""
    config = stack_config(stack)
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    flat, secret_keys = _flatten(config, TEST_SECRETS if secrets is None else secrets)
    for key, value in (plaintext or {}).items():
        flat[f"{PROJECT}:{key}"] = value

    # The runtime binds its futures to the loop current at set_mocks time.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = _RecordingMonitor(_Mocks())
    mocks.set_mocks(_Mocks(), project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    runtime_config.set_all_config(flat, secret_keys)
    # set_mocks made (and finished) a root stack; run_in_stack makes the one exports go to.
    set_root_resource(None)  # type: ignore[arg-type]

    def main() -> None:
        if program is not None:
            program()
        else:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    error: BaseException | None = None
    try:
        loop.run_until_complete(run_in_stack(main))
    except SystemExit as exit_:
        # __main__.py reports a bad config to the engine and exits; here the ConfigError
        # behind the exit is the result.
        if not isinstance(exit_.__cause__, ConfigError):
            raise
        if raise_errors:
            raise exit_.__cause__ from None
        error = exit_.__cause__
    except Exception as exc:
        if raise_errors:
            raise
        error = exc
    finally:
        loop.close()
        # A closed loop left current makes the next asyncio user of this worker fail with
        # "Event loop is closed" (a shuffled run, seed 429294, found a datastore test after a
        # mocked program): the process gets an open one back.
        asyncio.set_event_loop(asyncio.new_event_loop())
        # __main__.py switches the collector off for its one-run process (components/program/collector.py);
        # this process runs many programs, so it gets its collector back after each.
        gc.unfreeze()
        gc.enable()
    return Snapshot(stack, monitor.recorded, monitor.stack_outputs, monitor.stack_output_secret_paths, error)
