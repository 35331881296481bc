"""One quoting function per output language the renderers write config values into.

The config model refuses, naming the key, every value these functions would refuse, so a
refusal here means a value bypassed the model (a bug), never a user's mistake reaching a
half-registered estate. docs/escaping.md says, per language, what is quoted and what is
refused, and why.

YAML files (prometheus.yml, rule files, alertmanager.yml, blackbox.yml) are written by the
YAML emitter (components/render/yaml_text.py), which quotes every scalar itself; what a
consumer then *interprets* inside a YAML string (Go templates) is quoted here. Docker
health checks never splice a value into shell, JavaScript or Python source: values are
passed as arguments (components/docker/containers.py).
"""

from __future__ import annotations

import re


class UnquotableError(ValueError):
    """The value cannot be written safely in the output language; names the config key."""

    def __init__(self, key: str, value: str, why: str):
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(f"{key}: got {shown!r}: {why}")
        self.key = key


# C0 controls (NUL, TAB, CR, LF, ...), DEL, C1 controls and the Unicode line and paragraph
# separators: none of them has a place in a config value, and each ends a line somewhere.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _refuse_controls(value: str, key: str) -> None:
    if _CONTROL.search(value):
        raise UnquotableError(key, value, "a control character or line separator cannot be written")


# NGINX reads one parameter, quotes and escapes included, into a 4096-byte buffer, and
# refuses one of 4096 bytes at some positions in the file: 4000 leaves a margin.
NGINX_TOKEN_MAX = 4000


def _nginx_quote(value: str, key: str) -> str:
    _refuse_controls(value, key)
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if len(quoted.encode()) > NGINX_TOKEN_MAX:
        raise UnquotableError(key, value, f"longer than one NGINX parameter ({NGINX_TOKEN_MAX} bytes quoted)")
    return quoted


def nginx_string(value: str, key: str) -> str:
    """An NGINX double-quoted string that NGINX reads back as exactly `value`.

    Inside quotes `;`, `{`, `}` and `#` are plain characters; `\\` and `"` are escaped
    (NGINX's config reader unescapes exactly those). `$` is refused: most directives
    expand variables in their arguments and NGINX has no escape for `$`, so
    "$http_cookie" would be the client's cookies, not the text."""
    if "$" in value:
        raise UnquotableError(key, value, "'$' starts an NGINX variable and cannot be escaped")
    return _nginx_quote(value, key)


def nginx_regex(pattern: str, key: str) -> str:
    """A regex argument (`location ~* "..."`), double-quoted. Regex locations do not expand
    variables, so `$` here is the regex's end anchor and stays."""
    return _nginx_quote(pattern, key)


def go_string_literal(value: str, key: str) -> str:
    """A Go interpreted string literal (strconv.Unquote reads it back as `value`)."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate is not a Unicode character; Go refuses it in \U escapes.
            raise UnquotableError(key, value, "a lone UTF-16 surrogate is not text")
        else:
            out.append(f"\\U{code:08X}")
    out.append('"')
    return "".join(out)


def go_template_text(value: str, key: str) -> str:
    """Go text/template source (Prometheus annotations and labels, Alertmanager templates)
    that renders exactly `value`.

    Only `{{` starts an action, so text without any `{` is already literal, and stays
    readable. Anything with a `{` becomes one action printing a string constant,
    `{{ "..." }}`, so `{{ ... }}` in a config value is printed, never executed, and a
    trailing `{` cannot join the template text that follows it into a `{{`."""
    if "{" not in value:
        return value
    return "{{ " + go_string_literal(value, key) + " }}"
