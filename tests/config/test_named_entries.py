"""Lists and maps of named things a stack extends (issue 24): adding one entry keeps every
default, removing a default is written out, and an old form is refused with the new form
it means (docs/configuration.md, "Adding to the defaults")."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest
import yaml

from components.config.errors import ConfigError
from components.config.loader import parse_estate
from components.config.merge import EXTENDED_LISTS
from tests.support.lists import replacing
from tests.support.program import run_program, stack_config

P = "shiksha-setu"
API_DEFAULT = ["postgres", "redis", "vllm"]


def _error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_estate(values)
    return str(caught.value)


# --- connectsTo ------------------------------------------------------------------------------


def test_connects_to_add_keeps_the_default_connections() -> None:
    config = parse_estate({"workloads": {"api": {"connectsToAdd": ["frontend"]}}})
    assert config.workloads["api"].connects_to == [*API_DEFAULT, "frontend"]


def test_connects_to_remove_cuts_only_what_it_names() -> None:
    config = parse_estate({"workloads": {"api": {"connectsToRemove": ["vllm"]}}})
    assert config.workloads["api"].connects_to == ["postgres", "redis"]


def test_a_restated_list_that_drops_a_default_is_refused_naming_both_forms() -> None:
    # The trap: adding one connection by restating the list, and forgetting one.
    message = _error({"workloads": {"api": {"connectsTo": ["postgres", "redis", "frontend"]}}})
    assert (
        f"{P}:workloads.api.connectsTo: got ['postgres', 'redis', 'frontend']: drops the default "
        "entries ['vllm'] (each is a NetworkPolicy path and a credential)" in message
    )
    assert "write `connectsToAdd: ['frontend']`" in message
    assert "write `connectsToRemove: ['vllm']`" in message


def test_a_restated_list_that_keeps_every_default_is_accepted() -> None:
    config = parse_estate({"workloads": {"api": {"connectsTo": [*API_DEFAULT, "frontend"]}}})
    assert config.workloads["api"].connects_to == [*API_DEFAULT, "frontend"]


def test_a_new_workload_writes_its_list_as_it_likes() -> None:
    notifier = {
        "component": "notifier",
        "image": "backend",
        "ports": {"http": 8080},
        "connectsTo": ["redis"],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    }
    assert parse_estate({"workloads": {"notifier": notifier}}).workloads["notifier"].connects_to == ["redis"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"connectsToRemove": ["frontend"]}, "connectsToRemove: ['frontend'] are not in connectsTo"),
        ({"connectsToAdd": ["redis"]}, "connectsToAdd: ['redis'] are already in connectsTo"),
    ],
)
def test_an_add_or_remove_that_changes_nothing_is_refused(spec: dict[str, Any], words: str) -> None:
    message = _error({"workloads": {"api": spec}})
    assert f"{P}:workloads.api: {words}" in message, message


def test_the_networkpolicies_gain_the_added_connection_and_keep_the_others() -> None:
    def api_egress_targets(overrides: dict[str, Any]) -> set[str]:
        policy = run_program("prod", overrides=overrides).one("NetworkPolicy", "api-netpol").inputs["spec"]
        return {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in policy["egress"]
            for peer in rule.get("to", [])
            if "podSelector" in peer and "namespaceSelector" not in peer
        }

    before = api_egress_targets({})
    after = api_egress_targets({f"{P}:workloads": {"api": {"connectsToAdd": ["frontend"]}}})
    assert set(API_DEFAULT) <= before
    assert after == before | {"frontend"}


# --- the edge's path lists ------------------------------------------------------------------


def test_a_blocked_path_and_a_websocket_path_are_added_keeping_the_defaults() -> None:
    edge = parse_estate(
        {
            "edge": {"blockedPathsAdd": ["/admin"], "websocketPathsAdd": ["/api/v1/live"]},
        }
    ).edge
    default = parse_estate({}).edge
    assert edge.blocked_paths == [*default.blocked_paths, "/admin"]
    assert edge.websocket_paths == ["/ws", "/api/v1/live"]


def test_a_default_blocked_path_goes_only_when_named() -> None:
    edge = parse_estate({"edge": {"blockedPathsRemove": ["/cgi-bin"]}}).edge
    assert "/cgi-bin" not in edge.blocked_paths and "/.env" in edge.blocked_paths
    message = _error({"edge": {"blockedPathsRemove": ["/.envv"]}})
    assert f"{P}:edge: blockedPathsRemove: ['/.envv'] are not in blockedPaths" in message


# Every list a stack extends (components/config/merge.py EXTENDED_LISTS), its production
# defaults written out here, and one entry a stack might add.
EXTENDED = {
    ("edge", "blockedPaths"): (
        ["/wp-admin", "/wp-login.php", "/phpmyadmin", "/phpMyAdmin", "/.env", "/.git", "/.svn",
         "/.htaccess", "/xmlrpc.php", "/cgi-bin", "/server-status"],
        "/actuator",
    ),
    ("edge", "mlPaths"): (["/api/v2/ml", "/api/v2/chat"], "/api/v2/summarise"),
    ("edge", "streamPaths"): (["/api/v2/chat/stream"], "/api/v2/events"),
    ("edge", "websocketPaths"): (["/ws"], "/api/v1/live"),
    ("cdn", "cacheControl", "immutablePrefixes"): (["/assets/"], "/fonts/"),
    ("cdn", "cacheControl", "staticBackends"): (["frontend"], "api"),
    ("monitoring", "droppedMetrics"): (
        ["go_gc_.*", "go_sched_.*", "go_memstats_.*_bucket", "python_gc_.*"],
        "celery_task_runtime_seconds_bucket",
    ),
}  # fmt: skip


def _nested(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    for key in reversed(path[:-1]):
        leaf = {key: leaf}
    return leaf


def _field(config: Any, path: tuple[str, ...]) -> list[str]:
    for key in path:
        config = getattr(config, re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key))
    return list(config)


def test_every_extended_list_is_covered_here() -> None:
    assert set(EXTENDED) == set(EXTENDED_LISTS)


@pytest.mark.parametrize("path", list(EXTENDED), ids=".".join)
def test_adding_one_entry_keeps_every_default(path: tuple[str, ...]) -> None:
    defaults, new = EXTENDED[path]
    assert _field(parse_estate({}), path) == defaults
    added = parse_estate(_nested(path, {f"{path[-1]}Add": [new]}))
    assert _field(added, path) == [*defaults, new]


@pytest.mark.parametrize("path", list(EXTENDED), ids=".".join)
def test_a_restated_list_that_drops_a_default_is_refused_with_the_forms_it_means(
    path: tuple[str, ...],
) -> None:
    defaults, new = EXTENDED[path]
    key = path[-1]
    restated = [*defaults[1:], new]  # the user "adds" one and forgets the first default
    message = _error(_nested(path, {key: restated}))
    assert f"{P}:{'.'.join(path)}: got {restated!r}: drops the default entries {defaults[:1]!r}" in message
    forms = dict(re.findall(r"write `(\w+): (\[[^`]*\])`", message))
    assert forms == {f"{key}Add": repr([new]), f"{key}Remove": repr(defaults[:1])}, message
    # Pasted back, the two forms give exactly the list the user wrote.
    pasted = parse_estate(_nested(path, {name: ast.literal_eval(value) for name, value in forms.items()}))
    assert _field(pasted, path) == restated


@pytest.mark.parametrize("path", list(EXTENDED), ids=".".join)
def test_a_restated_list_that_keeps_every_default_still_works(path: tuple[str, ...]) -> None:
    defaults, new = EXTENDED[path]
    assert _field(parse_estate(_nested(path, {path[-1]: [*defaults, new]})), path) == [*defaults, new]


# --- network.rules -----------------------------------------------------------------------


def test_the_old_list_of_rules_is_refused_with_the_map_it_means_which_pastes() -> None:
    rule = {
        "from": "alertmanager",
        "to": {"namespace": {"namespaceLabels": {"team": "chatops"}}},
        "ports": [8080],
    }
    message = _error({"network": {"rules": [rule, {**rule, "ports": [8081]}]}})
    assert f"{P}:network.rules: got " in message
    shown = re.search(r"write `(rules: .*?)`", message)
    assert shown is not None, message
    pasted = yaml.safe_load(shown.group(1))
    assert pasted == {"rules": {"alertmanager-to-namespace": rule, "rule-2": {**rule, "ports": [8081]}}}
    assert list(parse_estate({"network": pasted}).network.rules) == ["alertmanager-to-namespace", "rule-2"]


def test_the_local_stack_states_its_rule_by_name() -> None:
    rules = stack_config("local")[f"{P}:network"]["rules"]
    assert list(rules) == ["alertmanager-to-chatops-relay"]


# --- maps of named entries among the model's defaults --------------------------------------


def test_a_new_scrape_job_keeps_the_default_jobs_and_a_null_removes_one() -> None:
    added = parse_estate({"monitoring": {"jobs": {"extra": {"workload": "frontend", "port": "http"}}}})
    assert list(added.monitoring.jobs) == ["api", "worker", "vllm", "extra"]
    removed = parse_estate({"monitoring": {"jobs": {"vllm": None}}})
    assert list(removed.monitoring.jobs) == ["api", "worker"]


def test_a_new_receiver_keeps_the_default_receivers() -> None:
    receivers = {"oncall-chat": {"webhook": {"url": "https://chat.example.org/hook"}}}
    config = parse_estate({"monitoring": {"alertmanager": {"receivers": receivers}}})
    assert list(config.monitoring.alertmanager.receivers) == [
        "pagerduty-critical",
        "platform-warnings",
        "info-log",
        "oncall-chat",
    ]


def test_a_null_that_is_a_value_stays_a_value() -> None:
    # Not a map of named entries: `null` is the value None, as it always was.
    config = parse_estate({"workloads": {"api": {"autoscaling": None}}})
    assert config.workloads["api"].autoscaling is None


def test_a_null_removes_an_env_entry_of_a_default_workload() -> None:
    config = parse_estate({"workloads": {"api": {"env": {"LOG_FORMAT": None}}}})
    assert config.workloads["api"].env == {"PROMETHEUS_MULTIPROC_DIR": "/tmp/prometheus"}


def test_a_default_workloads_writable_paths_are_extended_not_restated() -> None:
    # vllm writes its model weights and cache: a restatement that forgets them is refused.
    vllm = parse_estate({"workloads": {"vllm": {"writablePathsAdd": ["/scratch"]}}}).workloads["vllm"]
    assert vllm.writable_paths == ["/tmp", "/cache", "/models", "/scratch"]
    message = _error({"workloads": {"vllm": {"writablePaths": ["/tmp", "/scratch"]}}})
    assert (
        f"{P}:workloads.vllm.writablePaths: got ['/tmp', '/scratch']: drops the default entries "
        "['/cache', '/models']"
    ) in message
    assert "write `writablePathsAdd: ['/scratch']`" in message
    assert "write `writablePathsRemove: ['/cache', '/models']`" in message
    # A new workload states its own list, as before.
    assert parse_estate(
        {"workloads": {"notifier": {"component": "notifier", "image": "backend", "writablePaths": ["/var/x"],
                                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                  "limits": {"cpu": "200m", "memory": "128Mi"}}}}}
    ).workloads["notifier"].writable_paths == ["/var/x"]  # fmt: skip


def test_a_bad_added_entry_is_named_with_its_value() -> None:
    # The list is folded from blockedPathsAdd before validation: the error names the entry
    # where the stack wrote it, with its value (it said "required key is missing" before).
    message = _error({"edge": {"blockedPathsAdd": ["/ok", "no-slash"]}})
    assert f"{P}:edge.blockedPathsAdd[1]: got 'no-slash': expected a URL path" in message
    assert "required key is missing" not in message
    # Removing every default leaves an empty list, never a missing key.
    emptied = parse_estate({"edge": replacing(("edge", "blockedPaths"), [])}).edge
    assert emptied.blocked_paths == []
    message = _error({"edge": replacing(("edge", "blockedPaths"), ['/admin"x'])})
    assert f"""{P}:edge.blockedPathsAdd[0]: got '/admin"x': expected a URL path""" in message
