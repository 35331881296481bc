"""The value kinds of the estate model, each checked once, here, by the rules of whoever
consumes it (the Kubernetes API server, Prometheus, Alertmanager, Docker).

Every pattern is matched against the whole string (`fullmatch`; `$` would accept a
trailing newline) and spells its digits `[0-9]` (`\\d` and `int()` accept non-ASCII
digits such as U+FF18, a full-width 8). Integers are strict: no booleans, no numeric strings, no floats.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated

import re2
from kubernetes.utils.quantity import parse_quantity
from pydantic import AfterValidator, Field, StrictInt

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def fullmatch(pattern: str, expected: str, max_length: int | None = None) -> AfterValidator:
    """A validator: the whole string matches `pattern` (ASCII classes), within `max_length`."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"expected {expected}, at most {max_length} characters (got {len(value)})")
        if not compiled.fullmatch(value):
            raise ValueError(f"expected {expected}")
        return value

    return AfterValidator(check)


# --- integers -----------------------------------------------------------------------------

Int32 = Annotated[StrictInt, Field(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[StrictInt, Field(ge=1, le=INT32_MAX)]
Int64 = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
# Seconds as every consumer here takes them: a positive int32.
Seconds = PositiveInt32


# --- names of the Kubernetes API server (k8s.io/apimachinery/pkg/util/validation) ---------

DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS1035_LABEL = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"

DnsLabel = Annotated[str, fullmatch(DNS_LABEL, "a DNS-1123 label: lower-case letters, digits and '-'", 63)]
DnsSubdomain = Annotated[
    str,
    fullmatch(
        rf"{DNS_LABEL}(\.{DNS_LABEL})*", "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'", 253
    ),
]
# Names a Service (and so a DNS name) is derived from: a letter first.
Dns1035Label = Annotated[
    str,
    fullmatch(
        DNS1035_LABEL, "a DNS-1035 label: a lower-case letter, then lower-case letters, digits, '-'", 63
    ),
]


def is_dns_label(value: str) -> bool:
    return len(value) <= 63 and re.fullmatch(DNS_LABEL, value, re.ASCII) is not None


def _check_port_name(value: str) -> str:
    # IsValidPortName: an IANA service name.
    if not 1 <= len(value) <= 15:
        raise ValueError("expected a port name of 1 to 15 characters")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", value, re.ASCII) or "--" in value:
        raise ValueError("expected a port name: lower-case letters, digits and single '-' inside")
    if not re.search(r"[a-z]", value):
        raise ValueError("expected a port name with at least one letter")
    return value


PortName = Annotated[str, AfterValidator(_check_port_name)]


def _check_label_key(value: str) -> str:
    prefix, slash, name = value.rpartition("/")
    if slash and not (len(prefix) <= 253 and re.fullmatch(rf"{DNS_LABEL}(\.{DNS_LABEL})*", prefix, re.ASCII)):
        raise ValueError("expected a label key whose prefix (before '/') is a DNS-1123 subdomain")
    if not (len(name) <= 63 and re.fullmatch(_LABEL_NAME, name, re.ASCII)):
        raise ValueError(
            "expected a label key: [prefix/]name, the name at most 63 letters, digits, '-', '_', '.', "
            "starting and ending with a letter or digit"
        )
    return value


def _check_label_value(value: str) -> str:
    if value and not (len(value) <= 63 and re.fullmatch(_LABEL_NAME, value, re.ASCII)):
        raise ValueError(
            "expected a label value: at most 63 letters, digits, '-', '_', '.', "
            "starting and ending with a letter or digit"
        )
    return value


LabelKey = Annotated[str, AfterValidator(_check_label_key)]
LabelValue = Annotated[str, AfterValidator(_check_label_value)]
Labels = dict[LabelKey, LabelValue]

# Environment variable names as a POSIX shell exports them.
EnvName = Annotated[
    str, fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name: letters, digits, '_'", 255)
]


# --- text -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]")


def _check_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("expected one line of text without control characters (newline, CR, NUL, U+2028)")
    return value


def _check_no_nul(value: str) -> str:
    # A NUL ends a C string: no program argument or environment value can carry one.
    if "\x00" in value:
        raise ValueError("expected text without NUL characters")
    return value


Line = Annotated[str, AfterValidator(_check_line)]
NonEmptyLine = Annotated[str, Field(min_length=1), AfterValidator(_check_line)]
Text = Annotated[str, AfterValidator(_check_no_nul)]


# --- hosts, paths, addresses ---------------------------------------------------------------


def _check_hostname(value: str) -> str:
    if not (len(value) <= 253 and re.fullmatch(rf"{DNS_LABEL}(\.{DNS_LABEL})+", value, re.ASCII)):
        raise ValueError("expected a fully qualified lower-case DNS name such as app.example.org")
    return value


Hostname = Annotated[str, AfterValidator(_check_hostname)]

# A path every edge (NGINX, ingress-nginx, Gateway API) and every probe takes literally:
# no spaces, quotes, regex, query or template characters, and nothing ingress-nginx's path
# validation refuses in Prefix paths (letters, digits, `_-/` and, since 2025, `.`; not `~`).
URL_PATH = r"/[A-Za-z0-9._/-]*"


def check_url_path(value: str) -> str:
    if len(value) > 1024 or not re.fullmatch(URL_PATH, value, re.ASCII):
        raise ValueError("expected a URL path: '/' then letters, digits and ._/-, at most 1024 characters")
    return value


UrlPath = Annotated[str, AfterValidator(check_url_path)]

# A health endpoint as an HTTP client requests it: a path and an optional query, RFC 3986
# characters only (what Kubernetes' httpGet and the docker-host checks send as they are).
_REQUEST_TARGET = re.compile(
    r"/([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?",
    re.ASCII,
)


def _check_request_target(value: str) -> str:
    if len(value) > 2048 or not _REQUEST_TARGET.fullmatch(value):
        raise ValueError(
            "expected a path such as /health or /health?full=1: at most 2048 URL characters, "
            "no spaces, double quotes, braces or non-ASCII characters (percent-encode them)"
        )
    return value


RequestTarget = Annotated[str, AfterValidator(_check_request_target)]

# --- HTTP header names ---------------------------------------------------------------------

# RFC 9110 section 5.1: a field name is a token, 1*tchar. Of the token alphabet, the edge
# accepts letters, digits, '-' and '_' (a letter or digit first): the other symbols are
# valid HTTP but read as syntax by a consumer of these names ('$' is an NGINX variable,
# '%' an Envoy format field, quotes, '#', '|' and '`' end or comment an ingress-nginx
# annotation, whose CORS header check takes only [A-Za-z0-9_-]).
_TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~"
HEADER_NAME_MAX = 100


def check_header_name(value: str) -> str:
    if not value:
        raise ValueError("expected a header name such as X-Request-ID, got an empty string")
    if len(value) > HEADER_NAME_MAX:
        raise ValueError(f"expected a header name of at most {HEADER_NAME_MAX} characters (got {len(value)})")
    not_token = sorted({ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch in _TCHAR_SYMBOLS))})
    if not_token:
        raise ValueError(
            f"{', '.join(map(repr, not_token))} cannot be part of an HTTP header name (RFC 9110 token: "
            "ASCII letters, digits and !#$%&'*+-.^_`|~; no spaces, ':', control or non-ASCII characters)"
        )
    symbols = sorted({ch for ch in value if ch in _TCHAR_SYMBOLS and ch not in "-_"})
    if symbols:
        raise ValueError(
            f"{', '.join(map(repr, symbols))}: valid in HTTP, refused here because NGINX, Envoy or "
            "ingress-nginx read it as syntax; use letters, digits, '-' and '_'"
        )
    if not value[0].isalnum():
        raise ValueError("expected a header name that starts with a letter or digit")
    return value


HeaderName = Annotated[str, AfterValidator(check_header_name)]


# An absolute file system path of plain segments (no '..', no empty segment).
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._-]*"


def check_abs_path(value: str) -> str:
    if len(value) > 1024 or not re.fullmatch(rf"(/{_SEGMENT})+/?|/", value, re.ASCII):
        raise ValueError("expected an absolute path of letters, digits and ._- segments, without '..'")
    if ".." in value.split("/"):
        raise ValueError("expected an absolute path without '..'")
    return value


AbsolutePath = Annotated[str, AfterValidator(check_abs_path)]


def _check_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("expected an IPv4 or IPv6 address") from None
    return value


IpAddress = Annotated[str, AfterValidator(_check_ip)]


def _check_cidr(value: str) -> str:
    # ip_network also takes a bare address (a /32) and digits of any script: refuse both.
    if not re.fullmatch(r"[0-9a-fA-F:.]+/[0-9]{1,3}", value, re.ASCII):
        raise ValueError("expected a CIDR network such as 10.0.0.0/8")
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"expected a CIDR network ({error})") from None
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]


# --- Kubernetes quantities -------------------------------------------------------------------

_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?", re.ASCII)


def quantity(value: str) -> Decimal:
    """A Kubernetes quantity, parsed by the Kubernetes client's own parser."""
    if not _QUANTITY.fullmatch(value):
        raise ValueError(value)
    try:
        return Decimal(parse_quantity(value))
    except (ValueError, InvalidOperation):
        raise ValueError(value) from None


def cpu_millicores(value: str) -> int:
    """Kubernetes CPU quantity to millicores ("500m" -> 500, "2" -> 2000)."""
    return int(quantity(value) * 1000)


def memory_bytes(value: str) -> int:
    """Kubernetes memory quantity to bytes ("512Mi" -> 536870912)."""
    return int(quantity(value))


def _check_cpu(value: str) -> str:
    try:
        milli = quantity(value) * 1000
    except ValueError:
        raise ValueError("expected a positive Kubernetes CPU quantity such as 500m or 2") from None
    if milli <= 0 or milli != milli.to_integral_value() or milli > INT64_MAX:
        raise ValueError("expected a positive Kubernetes CPU quantity in whole millicores, such as 500m or 2")
    return value


def _check_memory(value: str) -> str:
    try:
        amount = quantity(value)
    except ValueError:
        raise ValueError("expected a positive Kubernetes memory quantity such as 512Mi or 2Gi") from None
    if amount < 1 or amount != amount.to_integral_value() or amount > INT64_MAX:
        raise ValueError(
            "expected a positive Kubernetes memory quantity in whole bytes, such as 512Mi or 2Gi"
        )
    return value


CpuQuantity = Annotated[str, AfterValidator(_check_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_check_memory)]


# --- Prometheus and Alertmanager -------------------------------------------------------------

# model.ParseDuration: units largest first, each at most once; Go's time.Duration is int64 ns.
_DURATION = re.compile(
    r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?",
    re.ASCII,
)
_UNIT_MS = (365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1)


def duration_seconds(value: str) -> float:
    """A Prometheus duration ("1h30m", "10s", "500ms") in seconds."""
    match = _DURATION.fullmatch(value)
    if not value or not match:
        raise ValueError(value)
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_MS, strict=True) if n) / 1000


def _check_duration(value: str) -> str:
    try:
        seconds = duration_seconds(value)
    except ValueError:
        raise ValueError("expected a Prometheus duration such as 30s, 5m, 1h30m or 15d") from None
    if seconds <= 0:
        raise ValueError("expected a positive duration")
    if seconds * 1e9 > INT64_MAX:
        raise ValueError("expected a duration Prometheus can hold (under 292 years)")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]

# Prometheus label names (the legacy, portable character set).
PromLabelName = Annotated[
    str,
    fullmatch(
        r"[A-Za-z_][A-Za-z0-9_]*", "a Prometheus label name: letters, digits, '_', not a digit first", 1024
    ),
]


def _check_re2(value: str) -> str:
    # Prometheus and Alertmanager compile with Go's regexp (RE2): no lookarounds or
    # backreferences, which Python's re would accept.
    if "\x00" in value:
        raise ValueError("not a valid RE2 regular expression (NUL)")
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(value, options)
    except re2.error as error:
        reason = (
            error.args[0].decode(errors="replace")
            if error.args and isinstance(error.args[0], bytes)
            else error
        )
        raise ValueError(f"not a valid RE2 regular expression ({reason})") from None
    return value


Re2Regex = Annotated[str, Field(max_length=4096), AfterValidator(_check_re2)]


def _check_time_zone(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", value, re.ASCII):
        raise ValueError("expected an IANA time zone such as Asia/Kolkata or UTC")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Asia/Kolkata or UTC (unknown zone)") from None
    return value


TimeZone = Annotated[str, AfterValidator(_check_time_zone)]


# --- images ---------------------------------------------------------------------------------

IMAGE_REFERENCE = re.compile(
    r"(?P<repo>[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>sha256:[a-f0-9]{64}))?",
    re.ASCII,
)


def _check_ref(value: str) -> str:
    match = IMAGE_REFERENCE.fullmatch(value)
    if not match:
        raise ValueError("expected an image reference such as registry/name:1.2.3 or name@sha256:<64 hex>")
    tag, digest = match.group("tag"), match.group("digest")
    if digest is None and (tag is None or tag == "latest"):
        raise ValueError(
            "expected an image pinned by digest or an explicit version tag, never latest or untagged"
        )
    return value


PinnedImage = Annotated[str, AfterValidator(_check_ref)]
