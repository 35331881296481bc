"""One header-name kind (components/config/types.py, an RFC 9110 token narrowed to what the
edge's consumers take literally) behind both keys that take a header name: the CORS allowed
headers and the CDN's origin-auth header, which adds only its own checks. The worst forms
are refused naming the key, with nothing registered."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from components.config.errors import ConfigError
from components.config.types import HEADER_NAME_MAX, HeaderName
from tests.support.program import run_program

from .support import refused

P = "shiksha-setu"
KEYS = {
    "edge.cors.allowedHeaders[0]": lambda name: {"edge": {"cors": {"allowedHeaders": [name]}}},
    "cdn.originAuthHeader": lambda name: {"cdn": {"originAuthHeader": name}},
}
# (id, value, words the message must hold)
WORST = [
    ("empty", "", "empty string"),
    ("a space", "X Trace", "' '"),
    ("a tab", "X\tTrace", "'\\t'"),
    ("a colon (header injection as name: value)", "X-Trace: 1", "':'"),
    ("CR LF (response splitting)", "X-Trace\r\nSet-Cookie", "'\\r'"),
    ("a lone LF", "X-Trace\n", "'\\n'"),
    ("NUL", "X-Trace\x00", "'\\x00'"),
    ("non-ASCII letter", "X-\u00c4uth", "'\u00c4'"),
    ("full-width letters", "\uff38-Trace", "'\uff38'"),
    ("over-long", "X" * (HEADER_NAME_MAX + 1), f"at most {HEADER_NAME_MAX}"),
    ("an NGINX variable", "$http_cookie", "'$'"),
    ("an Envoy format field", "X-%REQ%", "'%'"),
    ("a quote", "X-Trace'", '"\'"'),
    ("leading dash", "-X-Trace", "starts with a letter or digit"),
]


@pytest.mark.parametrize("key", sorted(KEYS))
@pytest.mark.parametrize(("value", "words"), [w[1:] for w in WORST], ids=[w[0] for w in WORST])
def test_the_worst_forms_are_refused_naming_the_key(key: str, value: str, words: str) -> None:
    message = refused(KEYS[key](value), key, words)
    # The value is quoted in the message: no raw CR or NUL reaches a terminal or a log.
    assert not {"\r", "\x00"} & set(message), message


def test_each_ascii_character_by_the_rule() -> None:
    """Letters, digits, '-' and '_' pass; every other character is refused, the token's
    other symbols included."""
    adapter = TypeAdapter(HeaderName)
    for code in range(0x80):
        ch = chr(code)
        name = "X" + ch + "Y"
        if ch.isalnum() or ch in "-_":
            assert adapter.validate_python(name) == name
        else:
            with pytest.raises(ValidationError):
                adapter.validate_python(name)


def test_both_keys_accept_a_plain_name_at_the_limit() -> None:
    name = "X-" + "a" * (HEADER_NAME_MAX - 2)
    for make in KEYS.values():
        snapshot = run_program("prod", overrides={f"{P}:{k}": v for k, v in make(name).items()})
        assert snapshot.error is None


@pytest.mark.parametrize(
    ("value", "words"),
    [("X_Origin_Auth", "NGINX drops"), ("x-forwarded-for", "already uses"), ("Cookie", "already uses")],
)
def test_the_cdn_adds_only_its_own_checks(value: str, words: str) -> None:
    # Valid names for CORS...
    assert run_program("prod", overrides={f"{P}:edge": {"cors": {"allowedHeaders": [value]}}}).error is None
    # ...that the origin-auth header may not be.
    snapshot = run_program("prod", overrides={f"{P}:cdn": {"originAuthHeader": value}}, raise_errors=False)
    assert isinstance(snapshot.error, ConfigError)
    assert f"{P}:cdn.originAuthHeader" in str(snapshot.error)
    assert words in str(snapshot.error)
