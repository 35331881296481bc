"""Entry point the engine runs (``python -m pulumi.policy <engine> policies``)."""

import os
import sys

# The pack's package sits beside this file; the engine does not put it on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shiksha_policies.pack import serve  # noqa: E402

serve()
