"""Guardrail: no password-, token- or key-like values in ConfigMap data.

ConfigMaps are readable by anyone who can read the namespace's configuration and land in
rendered manifests and logs; credentials belong in Secrets. Two signals: a secret-like key
holding a literal value, and a value that looks like a credential whatever its key
(private keys, cloud access keys, JWTs, URLs with a password, password lines in embedded
config files). References (file paths, ${VAR}, $(VAR), {{ templates }}) are not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ..kube import fmt_path, of_kinds
from ..props import as_dict, is_unknown
from ..rule import Finding, Rule, Subject, cis
from ..shapes import STR, sanitize
from ._common import ESTATE, kind, nsa

SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|"
    r"credential|auth[-_]?key|signing[-_]?key|encryption[-_]?key|dsn)",
    re.IGNORECASE,
)
# Keys that name where a secret is, or describe it, rather than hold it.
REFERENCE_KEY = re.compile(
    r"(_|-|\.)(file|path|name|ref|url|endpoint|enabled|length|ttl|expiry|header|type|mode)$", re.IGNORECASE
)
REFERENCE_VALUE = re.compile(
    r"^(\s*|/\S*|\$\{[^}]+\}|\$\([^)]+\)|\{\{.*\}\}|true|false|yes|no|on|off|\d+[smhd]?|none|null)$",
    re.IGNORECASE,
)

VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a PEM private key", re.compile(r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    (
        "a URL with an embedded password",
        re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]*:(?!\$\{|\$\()[^\s@/]+@", re.IGNORECASE),
    ),
    ("a GitHub/Slack-style token", re.compile(r"\b(ghp_[A-Za-z0-9]{36}|xox[bpoas]-[A-Za-z0-9-]{10,})")),
)
# "password = x", "requirepass x", "api_key: x" lines inside an embedded config file.
CONFIG_LINE = re.compile(
    r"^\s*[\"']?(?P<key>[A-Za-z0-9_.-]*(pass(word|wd)?|requirepass|secret|token|api[-_]?key|private[-_]?key))[\"']?"
    r"\s*(=|:|\s)\s*(?P<value>\S.*?)\s*[,;]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def _literal(value: str) -> bool:
    v = value.strip().strip("\"'")
    return bool(v) and not REFERENCE_VALUE.match(v)


def findings_for(key: str, value: str, path: str) -> Iterator[Finding]:
    if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key) and "\n" not in value and _literal(value):
        yield Finding(path, f"holds a literal value under a secret-like key {key!r}; move it to a Secret")
        return
    for what, pattern in VALUE_PATTERNS:
        if pattern.search(value):
            yield Finding(path, f"contains {what}; move it to a Secret")
            return
    for m in CONFIG_LINE.finditer(value):
        k = m.group("key")
        if REFERENCE_KEY.search(k) or not _literal(m.group("value")):
            continue
        yield Finding(path, f"embeds a literal {k!r} setting in config text; move it to a Secret")
        return


SHAPE = {"data": {"*": STR}, "binaryData": {"*": STR}}


def check(subject: Subject, _config: Mapping[str, Any]) -> Iterator[Finding]:
    if kind(subject.resource_type) != "ConfigMap":
        return
    props, problems = sanitize(subject.props, SHAPE)
    yield from (Finding(p.path, p.found, expected=p.expected) for p in problems)
    for section in ("data", "binaryData"):
        data = as_dict(props.get(section))
        if is_unknown(data):
            continue
        assert isinstance(data, dict)
        for key, value in data.items():
            if not isinstance(value, str):
                continue
            if section == "binaryData":
                if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key):
                    yield Finding(
                        fmt_path((section, key)), f"holds binary data under a secret-like key {key!r}"
                    )
                continue
            yield from findings_for(key, value, fmt_path((section, key)))


RULE = Rule(
    name="configmap-no-secrets",
    description="ConfigMaps must not hold passwords, tokens or keys.",
    severity=Severity.CRITICAL,
    remediation_steps="Move the value to a Kubernetes Secret (or an external secret store) and "
    "reference it with secretKeyRef / a mounted secret volume; keep only non-secret settings "
    "in the ConfigMap.",
    frameworks=(
        cis("5.4.1 Prefer using secrets as files over secrets as environment variables"),
        nsa("Secrets: store credentials in Secrets, not ConfigMaps"),
        ESTATE,
    ),
    enforcement=EnforcementLevel.MANDATORY,
    check=check,
    applies_to=of_kinds("ConfigMap"),
    tags=("secrets",),
)
