"""One pydantic model tree for the whole estate, and its loader from the stack config."""

from .errors import ConfigError
from .estate import EstateConfig
from .loader import load_estate, parse_estate
from .secrets import EstateSecrets
from .workloads import WorkloadSpec

__all__ = ["ConfigError", "EstateConfig", "EstateSecrets", "WorkloadSpec", "load_estate", "parse_estate"]
