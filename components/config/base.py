"""Base model and value types shared by every part of the estate's configuration."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class StrictModel(BaseModel):
    """Stack config uses Pulumi's camelCase keys; unknown keys are errors, never ignored."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=False,
    )


_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_MEMORY_FACTORS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def cpu_millicores(value: str) -> int:
    """Kubernetes CPU quantity to millicores ("500m" -> 500, "2" -> 2000)."""
    if value.endswith("m"):
        return int(value[:-1])
    return round(float(value) * 1000)


def memory_bytes(value: str) -> int:
    """Kubernetes memory quantity to bytes ("512Mi" -> 536870912)."""
    match = re.match(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$", value)
    if not match:
        raise ValueError(value)
    return round(float(match.group(1)) * _MEMORY_FACTORS[match.group(2)])


def _check_cpu(value: str) -> str:
    if not _CPU.match(value) or cpu_millicores(value) <= 0:
        raise ValueError("expected a positive Kubernetes CPU quantity such as 500m or 2")
    return value


def _check_memory(value: str) -> str:
    if not _MEMORY.match(value) or memory_bytes(value) <= 0:
        raise ValueError("expected a positive Kubernetes memory quantity such as 512Mi or 2Gi")
    return value


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _check_dns_label(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            "expected a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
        )
    return value


def _check_abs_path(value: str) -> str:
    if not value.startswith("/") or ".." in value.split("/"):
        raise ValueError("expected an absolute path without '..'")
    return value


CpuQuantity = Annotated[str, AfterValidator(_check_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_check_memory)]
DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]
AbsolutePath = Annotated[str, AfterValidator(_check_abs_path)]
