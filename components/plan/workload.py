"""One workload as the plan resolves it: what runs, from which image, with which files and
credentials. Credentials are SecretText recipes (which secret, encoded how), never values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from components.config.workloads import WorkloadSpec
from components.plan.files import ConfigFiles
from components.values.secret_text import SecretText

# platform: a workload of `workloads`; monitoring: Prometheus, Alertmanager, blackbox;
# exporter: a metrics exporter for a subject that has no /metrics of its own.
Role = Literal["platform", "monitoring", "exporter"]


@dataclass(frozen=True)
class PlannedWorkload:
    name: str
    spec: WorkloadSpec
    role: Role
    # A platform workload names an image key of `images` (its reference is a stack fact:
    # pinned, or this stack's build); the monitoring ones carry their pinned reference.
    image: str
    files: tuple[ConfigFiles, ...] = ()
    # Env var -> recipe; reaches the workload only as a secret (a Kubernetes Secret, a
    # secret container variable).
    secret_env: dict[str, SecretText] = field(default_factory=dict)

    @property
    def image_is_key(self) -> bool:
        return self.role == "platform"

    @property
    def credentials(self) -> list[str]:
        """Every estate secret this workload receives, in env or in files."""
        texts = [*self.secret_env.values()]
        texts += [v for group in self.files if group.secret for v in group.secret_values().values()]
        return sorted({key for t in texts for key in t.keys})
