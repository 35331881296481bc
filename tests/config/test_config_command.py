"""`make config STACK=<s>` and `make config-schema` (tools/config.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
import yaml

from components.config.defaults import deep_merge
from components.config.errors import ConfigError
from components.config.loader import SECRET_KEYS, parse_estate
from tests.support.program import ROOT, run_program, stack_config
from tools import config as config_command

P = "shiksha-setu:"
PLANTED = "planted-Plaintext-Secret-7731"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.config", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _printed(stack: str) -> dict[str, Any]:
    result = _run(stack)
    assert result.returncode == 0, f"python -m tools.config {stack}: {result.stderr}"
    return dict(yaml.safe_load(result.stdout)["config"])


def _values(config: dict[str, Any]) -> dict[str, Any]:
    """The project's non-secret keys without their prefix: what parse_estate takes."""
    return {
        key.removeprefix(P): value
        for key, value in config.items()
        if key.startswith(P) and key.removeprefix(P) not in SECRET_KEYS
    }


@pytest.fixture(scope="module", params=["local", "prod"])
def printed(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, _printed(request.param)


def test_the_printed_config_is_what_the_loader_makes_of_the_stack(
    printed: tuple[str, dict[str, Any]],
) -> None:
    stack, shown = printed
    loaded = parse_estate(_values(stack_config(stack))).model_dump(mode="json", by_alias=True)
    assert _values(shown) == loaded
    # And it is a stack file: fed back, it is the same estate.
    assert parse_estate(_values(shown)) == parse_estate(_values(stack_config(stack)))


def test_stack_values_and_defaults_are_both_there() -> None:
    shown = _printed("local")
    # From Pulumi.local.yaml ...
    assert shown[f"{P}kubernetes"]["renderDirectory"] == "rendered/local"
    assert shown[f"{P}network"]["kubernetesApi"]["cidrs"] == ["172.18.0.2/32"]
    # ... merged over the defaults it does not restate, camelCase as the stack file writes them.
    assert shown[f"{P}workloads"]["api"]["connectsTo"], "api's default connections are missing"
    assert "connects_to" not in json.dumps(shown)


def test_secrets_are_shown_as_secret_never_their_ciphertext() -> None:
    raw = stack_config("local")
    secure = {
        key: value["secure"] for key, value in raw.items() if isinstance(value, dict) and "secure" in value
    }
    assert secure, "the local stack holds no secrets any more: this test checks nothing"
    result = _run("local")
    shown = yaml.safe_load(result.stdout)["config"]
    for key, ciphertext in secure.items():
        assert shown[key] == config_command.SECRET, key
        assert ciphertext not in result.stdout + result.stderr


def test_a_required_secret_the_stack_file_lacks_is_marked_not_set() -> None:
    # prod's secrets come from the deploy environment (Pulumi.prod.yaml's header).
    shown = _printed("prod")
    assert shown[f"{P}postgresPassword"] == config_command.NOT_SET
    assert f"{P}postgresReplicationPassword" not in shown  # no read replicas: not required


def test_a_plaintext_secret_is_refused_without_being_echoed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = {**stack_config("local"), f"{P}redisPassword": PLANTED, "aws:secretKey": {"secure": PLANTED}}
    monkeypatch.setattr(config_command, "stack_config", lambda stack: planted)
    assert config_command.main(["local"]) == 1
    out, err = capsys.readouterr()
    assert f"{P}redisPassword: is stored in plaintext" in err
    assert PLANTED not in out + err


def test_another_namespaces_secret_is_shown_as_secret() -> None:
    shown = config_command.effective_config({**stack_config("local"), "aws:secretKey": {"secure": PLANTED}})
    assert shown["config"]["aws:secretKey"] == config_command.SECRET
    assert PLANTED not in json.dumps(shown)


def test_a_bad_config_prints_the_gates_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**stack_config("local"), f"{P}workloads": {"api": {"replicas": 0, "conectsTo": ["redis"]}}}
    with pytest.raises(ConfigError) as gate:
        parse_estate(_values(bad))
    monkeypatch.setattr(config_command, "stack_config", lambda stack: bad)
    assert config_command.main(["local"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == str(gate.value).strip()
    assert "shiksha-setu:workloads.api.replicas" in err
    assert "did you mean `connectsTo`" in err


def test_an_unknown_stack_is_named() -> None:
    result = _run("nosuch")
    assert result.returncode == 2
    assert "Pulumi.nosuch.yaml not found" in result.stderr


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = _run("--schema")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_schema_accepts_both_stacks_merged_config(
    schema: dict[str, Any], printed: tuple[str, dict[str, Any]]
) -> None:
    _stack, shown = printed
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_values(shown))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"workloads": {"api": {"replicas": 0}}}, ["workloads", "api", "replicas"]),
        ({"workloads": {"api": {"conectsTo": ["redis"]}}}, ["workloads", "api"]),
        ({"target": "mainframe"}, ["target"]),
    ],
    ids=["below-minimum", "unknown-key", "not-a-target"],
)
def test_the_schema_refuses_what_the_model_refuses(
    schema: dict[str, Any], change: dict[str, Any], where: list[str]
) -> None:
    values = deep_merge(_values(_printed("local")), change)
    with pytest.raises(ConfigError):
        parse_estate(values)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(values))
    assert any(list(error.absolute_path)[: len(where)] == where for error in errors), [
        (list(e.absolute_path), e.message) for e in errors
    ]


@pytest.mark.parametrize(
    ("target", "command"), [("config", "-m tools.config prod"), ("config-schema", "-m tools.config --schema")]
)
def test_the_make_targets_run_the_command(target: str, command: str) -> None:
    """`make -n`: the recipe as make would run it, without setting anything up."""
    result = subprocess.run(
        ["make", "-n", target, "STACK=prod"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert command in result.stdout, result.stdout


def test_a_program_run_after_it_in_the_same_process_is_unaffected() -> None:
    """The secret Outputs it reads are run to the end: a later program in the process (the
    suite's, under mocks) once waited on its closed event loop ('Event loop is closed')."""
    config_command.effective_config(stack_config("local"))
    snapshot = run_program("prod", raise_errors=False)
    assert snapshot.error is None, repr(snapshot.error)


def test_what_only_the_plan_refuses_is_printed_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A volume path named like postgres's secret-file volume: refused by the gate's plan checks.
    bad = {
        **stack_config("prod"),
        f"{P}target": "docker-host",
        f"{P}workloads": {"postgres": {"writablePaths": ["/tmp", "/var/run/postgresql", "/credentials"]}},
        f"{P}dockerHost": {"volumePaths": {"postgres": ["/credentials"]}},
    }
    monkeypatch.setattr(config_command, "stack_config", lambda stack: bad)
    assert config_command.main(["prod"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "shiksha-setu:dockerHost.volumePaths.postgres: got '/credentials'" in err
