"""Entry point the engine runs (``python -m pulumi.policy <engine> policies``)."""

import os
import sys

# runpy puts this directory first on sys.path when the pack directory is run; doing it here
# too keeps `python policies/__main__.py`-style launches importing the same package.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shiksha_policies.pack import serve

serve()
