"""Docker: database and cache ports never published beyond loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from ..props import as_list, get, is_unknown
from ..rule import Finding, Rule, Subject
from ._common import CONTAINER, ESTATE_COMPOSE, cis_docker

DATASTORE_PORTS = [5432, 3306, 6379, 27017, 11211, 9042, 9200, 5672]
DATASTORE_IMAGE = re.compile(
    r"(^|/)(postgres|postgis|mysql|mariadb|redis|valkey|keydb|mongo|memcached|"
    r"cassandra|elasticsearch|opensearch|rabbitmq)[^/]*$",
    re.IGNORECASE,
)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check(subject: Subject, config: Mapping[str, Any]) -> Iterator[Finding]:
    if subject.resource_type != CONTAINER:
        return
    ports = as_list(subject.props.get("ports"))
    if is_unknown(ports):
        return
    assert isinstance(ports, list)
    watched = set(config.get("datastorePorts") or DATASTORE_PORTS)
    image = subject.props.get("image")
    datastore_image = isinstance(image, str) and bool(
        DATASTORE_IMAGE.search(image.split("@")[0].split(":")[0])
    )
    for i, p in enumerate(ports):
        internal, external, ip = get(p, "internal"), get(p, "external"), get(p, "ip")
        if is_unknown(ip) or is_unknown(internal):
            continue
        if not (datastore_image or internal in watched or external in watched):
            continue
        if ip not in LOOPBACK:
            yield Finding(
                f"ports[{i}].ip",
                f"is {ip if ip else 'unset (0.0.0.0)'} for datastore port "
                f"{internal}; bind it to 127.0.0.1 or do not publish it",
            )


RULE = Rule(
    name="docker-datastore-ports-local",
    description="Database and cache ports must never be published beyond 127.0.0.1.",
    severity=Severity.HIGH,
    remediation_steps="Remove the port mapping (containers reach the datastore over the internal "
    "network) or set ip: 127.0.0.1.",
    frameworks=(
        cis_docker("5.13 Ensure that incoming container traffic is bound to a specific host interface"),
        ESTATE_COMPOSE,
    ),
    check=check,
    applies_to=lambda t: t == CONTAINER,
    extra_config={
        "datastorePorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": DATASTORE_PORTS,
            "description": "Container ports treated as database/cache ports.",
        }
    },
    tags=("docker", "network"),
)
