"""The prod estate with logging switched on, as the real program registers it under mocks."""

from __future__ import annotations

from functools import cache
from typing import Any

from components.values.numbers import whole_numbers
from tests.support.program import TEST_SECRETS, Snapshot, run_program

NS = "shiksha-setu-logging"
LOGGING: dict[str, Any] = {
    "enabled": True,
    "endpoint": "https://loki.example.org/otlp/v1/logs",
    "endpointCidrs": ["203.0.113.0/24"],
    "username": "123456",
    "tenant": "shiksha-setu",
}
LOGGING_PASSWORD = "loki-test-Secret-3e8d"


@cache
def logging_estate() -> Snapshot:
    return run_program(
        "prod",
        overrides={"shiksha-setu:logging": LOGGING},
        secrets={**TEST_SECRETS, "loggingPassword": LOGGING_PASSWORD},
    )


def logging_objects(snapshot: Snapshot) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r.kind, r.inputs["metadata"]["name"]): whole_numbers(r.manifest)
        for r in snapshot.kubernetes_objects()
        if "shiksha:index:LoggingStack" in r.parent_types
    }
