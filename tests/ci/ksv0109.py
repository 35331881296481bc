"""trivy's KSV-0109 "ConfigMap with secrets" (HIGH), ported from its Rego so the estate's
ConfigMaps are held to it where trivy itself is not built (tests/ci/test_trivy.py runs the
real one). The source is checks/kubernetes/configMap_with_secrets.rego of the
github.com/aquasecurity/trivy-checks module that trivy (TRIVY_VERSION in
scripts/setup-test-tools.sh) embeds; the patterns below are read from that file when the
module is in the Go module cache, and compared with these copies (test_trivy.py).

What it matches, per ConfigMap `data` entry:
  - a key matching one of KEY_WORDS (password, pass, secret, token, pwd...), anywhere in it;
  - a line of a value matching `<word>\\s*(=|:)` for one of VALUE_WORDS, whose text between
    the first and the second `:` (or `=`) is not empty and does not start with `${`, `$(`
    or `{{` (an optional leading `"` skipped): an assignment of a literal.
Case-insensitive, unanchored, so `PASSWORD :'x'` in SQL and `PGPASSWORD="$X"` in a shell
script both read as assignments; `PASSWORD %L` and `PGPASSWORD="${X}"` do not."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

RULE_PATH = "checks/kubernetes/configMap_with_secrets.rego"
WORDS = (
    "password",
    "pass",
    "pword",
    "passphrase",
    "passwrd",
    "passwd",
    "secret",
    "secretkey",
    "appSecret",
    "clientSecret",
    "aws_access_key_id",
    "pswrd",
    "token",
    "pwd",
)
VALUE_PATTERNS = tuple(re.compile(rf"(?i)({word}\s*(=|:))") for word in WORDS)
KEY_PATTERNS = tuple(re.compile(rf"(?i)({word}\s*)") for word in WORDS)
INTERPOLATION = ("${", "$(", "{{")


def _assigned_key(line: str) -> Iterator[str]:
    """config_map_secret_key: the text before a delimiter whose value is a literal."""
    for delimiter in (":", "="):
        parts = line.split(delimiter)
        if len(parts) < 2 or parts[1] == "":
            continue
        if parts[1].removeprefix('"').startswith(INTERPOLATION):
            continue
        yield parts[0]


def findings(configmap: Mapping[str, Any]) -> set[str]:
    """The keys KSV-0109 reports for one ConfigMap (an empty set: it passes)."""
    if configmap.get("kind") != "ConfigMap":
        return set()
    found: set[str] = set()
    for key, value in (configmap.get("data") or {}).items():
        if any(p.search(key) for p in KEY_PATTERNS):
            found.add(key)
        for pattern in VALUE_PATTERNS:
            if not pattern.search(value):
                continue
            for line in value.split("\n"):
                if pattern.search(line):
                    found.update(_assigned_key(line))
    return found


def rego_patterns(module_dir: Path) -> tuple[list[str], list[str]]:
    """(value patterns, key patterns) as the Rego source writes them, unescaped."""
    source = (module_dir / RULE_PATH).read_text()

    def block(name: str) -> list[str]:
        match = re.search(rf"^{name} := \{{(.*?)^\}}", source, re.MULTILINE | re.DOTALL)
        assert match, f"{RULE_PATH}: no `{name} := {{...}}`"
        return [s.replace("\\\\", "\\") for s in re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))]

    return block("cm_value_patterns"), block("cm_key_patterns")
