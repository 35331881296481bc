"""The Shiksha Setu estate: load and validate the stack config, build, export."""

import pulumi

from components.collector import prepare_collector
from components.config import load_estate
from components.estate import build_estate

prepare_collector()
config, secrets = load_estate()
estate = build_estate(config, secrets)
for key, value in estate.outputs.items():
    pulumi.export(key, value)
