"""A secret value as a recipe: literal text and references to the estate's secrets.

Workloads consume values derived from a secret (a database URL with the password
URL-encoded inside, an ACL file of password hashes, a pgpass line). Written once as
a recipe, a value is either resolved here from Pulumi secret config (`secrets.source:
pulumi`), or turned into an External Secrets Operator template the operator fills in
inside the cluster (`secrets.source: external`), so both sources produce byte-identical
Secrets.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import pulumi

from components.render.quoting import go_string_literal, go_template_text

# What a refusal of the quoting functions names (the model refuses such values first).
KEY = "a secret value's literal text"

# libpq's password file: a backslash or ':' inside a field is escaped with a backslash (backslash first).
PGPASS_ESCAPES = (("\\", "\\\\"), (":", "\\:"))


def pgpass_escape(password: str) -> str:
    for old, new in PGPASS_ESCAPES:
        password = password.replace(old, new)
    return password


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


# How a reference is written into its text. Each is one Python function here and one
# pipeline of ESO's template engine (v2: Go text/template with sprig's functions).
Encoding = Literal["", "url", "pgpass", "sha256"]


@dataclass(frozen=True)
class SecretRef:
    """One estate secret (a key of `secrets`), as it is or encoded for where it is written."""

    key: str
    encoding: Encoding = ""

    def render(self, value: str) -> str:
        if self.encoding == "url":
            # Every byte but RFC 3986's unreserved characters is escaped, as Go's
            # url.QueryEscape does once its '+' for a space is turned back into %20.
            return quote(value, safe="")
        if self.encoding == "pgpass":
            return pgpass_escape(value)
        if self.encoding == "sha256":
            return sha256_hex(value)
        return value

    def go_template(self) -> str:
        return f"{{{{ {self.go_expression()} }}}}"

    def go_expression(self) -> str:
        if self.encoding == "url":
            # `urlquery` is Go's url.QueryEscape; ESO's template engine carries sprig's `replace`.
            return f'(.{self.key} | urlquery | replace "+" "%20")'
        if self.encoding == "pgpass":
            # sprig's `replace OLD NEW` on the piped value: '\\' first, then ':' (pgpass_escape).
            steps = " | ".join(
                f"replace {go_string_literal(old, KEY)} {go_string_literal(new, KEY)}"
                for old, new in PGPASS_ESCAPES
            )
            return f"(.{self.key} | {steps})"
        if self.encoding == "sha256":
            # sprig's sha256sum: the lowercase hex SHA-256 of the string's UTF-8 bytes.
            return f"(.{self.key} | sha256sum)"
        return f".{self.key}"


@dataclass(frozen=True)
class Base64:
    """Standard base64 of literal text and secrets (an HTTP Basic credential)."""

    parts: tuple[str | SecretRef, ...]

    def render(self, values: Mapping[str, str]) -> str:
        raw = "".join(_render(p, values) for p in self.parts)
        return base64.b64encode(raw.encode()).decode()

    def go_template(self) -> str:
        # `print` joins string operands as they are; sprig's b64enc is standard base64.
        operands = " ".join(
            go_string_literal(p, KEY) if isinstance(p, str) else p.go_expression() for p in self.parts
        )
        return f"{{{{ print {operands} | b64enc }}}}"


Part = str | SecretRef | Base64


@dataclass(frozen=True)
class SecretText:
    parts: tuple[Part, ...]

    @property
    def keys(self) -> list[str]:
        refs = [p for p in self.parts if isinstance(p, SecretRef)]
        refs += [q for p in self.parts if isinstance(p, Base64) for q in p.parts if isinstance(q, SecretRef)]
        return sorted({r.key for r in refs})

    def render(self, values: Mapping[str, str]) -> str:
        return "".join(_render(p, values) for p in self.parts)

    def resolve(self, secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
        """The value from Pulumi secret config: a secret Output, never plain text."""
        keys = self.keys
        values = pulumi.Output.all(*[secrets[k] for k in keys])
        return pulumi.Output.secret(values.apply(lambda vs: self.render(dict(zip(keys, vs, strict=True)))))

    def go_template(self) -> str:
        """The value as an ESO (engine v2) template over the fetched secrets."""
        return "".join(
            go_template_text(p, KEY) if isinstance(p, str) else p.go_template() for p in self.parts
        )


def _render(part: Part, values: Mapping[str, str]) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Base64):
        return part.render(values)
    return part.render(values[part.key])


def secret(key: str) -> SecretText:
    """The secret's value as it is."""
    return SecretText((SecretRef(key),))


def text(*parts: Part) -> SecretText:
    return SecretText(tuple(p for p in parts if p != ""))


def url_encoded(key: str) -> SecretRef:
    return SecretRef(key, "url")


def pgpass_escaped(key: str) -> SecretRef:
    """The secret as a field of a libpq password file (':' and '\\' escaped)."""
    return SecretRef(key, "pgpass")


def sha256_of(key: str) -> SecretRef:
    """The lowercase hex SHA-256 of the secret (an ACL password hash)."""
    return SecretRef(key, "sha256")


def basic_auth(username: str, password_key: str) -> SecretText:
    """The credential of an `Authorization: Basic ...` header."""
    return SecretText((Base64((f"{username}:", SecretRef(password_key))),))
