"""Hostile strings, and the one verdict every hostile case must reach: refused by the
config model with its key named and nothing registered, or accepted (and then the
calling test proves, with the real consumer, that the value was written harmlessly)."""

from __future__ import annotations

from typing import Any

from components.config.errors import ConfigError
from components.config.estate import EstateConfig
from components.config.loader import parse_estate
from tests.support.program import PROJECT, run_program

# Each one breaks some output language: quotes and backslashes end strings, `;` `{` `}`
# `#` end NGINX directives and blocks, `$` and `%` are NGINX and Envoy variables, `{{`
# runs Go template code, `` ` `` and `$(` run shell, CR/LF/U+2028 end lines and headers,
# NUL ends C strings, non-ASCII digits pass `\d`, and a very long value overflows limits.
HOSTILE: dict[str, str] = {
    "double-quote": 'a"b',
    "single-quote": "a'b",
    "backslash": "a\\b",
    "backslash-quote": 'a\\"b',
    "semicolon": "a;b",
    "open-brace": "a{b",
    "close-brace": "a}b",
    "hash": "a#b",
    "dollar-variable": "$http_cookie",
    "dollar-braces": "${http_cookie}",
    "envoy-operator": "%REQ(cookie)%",
    "go-template": '{{ printf "%s" "executed" }}',
    "go-template-open": "a{{",
    "trailing-brace": "a{",
    "backtick": "a`id`b",
    "shell-subst": "$(touch /tmp/pwned)",
    "cr": "a\rb",
    "lf": "a\nb",
    "crlf-header": "a\r\nSet-Cookie: injected=1",
    "trailing-newline": "a\n",
    "nul": "a\x00b",
    "tab": "a\tb",
    "u2028": "a\u2028b",
    "u2029": "a\u2029b",
    "nel": "a\x85b",
    "non-ascii-digits": "\u0663\u0664",  # Arabic-Indic 3 and 4
    "fullwidth-digits": "\uff18\uff10",  # fullwidth 8 and 0
    "non-ascii": "\u0936\u093f\u0915\u094d\u0937\u093e",  # शिक्षा
    "leading-space": " a",
    "empty": "",
    "very-long": "a" * 100_000,
}

# The samples, and what each would have done.
NGINX_SERVER_INJECTION = "HIGH; server {{ listen 127.0.0.1:{port}; return 200 injected; }} #"


def refusal(values: dict[str, Any], key: str) -> str | None:
    """None when the model accepts `values`; otherwise the refusal message, after checking
    it names `key` and that the real program registers nothing for these values."""
    try:
        parse_estate(values)
    except ConfigError as error:
        message = str(error)
    else:
        return None
    full = f"{PROJECT}:{key}"
    assert full in message, f"refusal does not name {full}:\n{message}"
    snapshot = run_program(
        "prod", overrides={f"{PROJECT}:{k}": v for k, v in values.items()}, raise_errors=False
    )
    assert isinstance(snapshot.error, ConfigError), snapshot.error
    assert full in str(snapshot.error)
    assert snapshot.resources == [], [r.urn for r in snapshot.resources]
    return message


def accepted(values: dict[str, Any]) -> EstateConfig:
    return parse_estate(values)


def nest(key: str, value: Any) -> dict[str, Any]:
    """`edge.tls.ciphers` -> {"edge": {"tls": {"ciphers": value}}} (no list indexes)."""
    result: Any = value
    for part in reversed(key.split(".")):
        result = {part: result}
    return dict(result)
