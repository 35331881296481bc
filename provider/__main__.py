"""The provider process the engine starts for package `shiksha`: it serves the exported
components with the SDK's component provider host, which infers the schema from their Args."""

import sys
from pathlib import Path

# The language host runs this directory as a script (`python -u provider/`), so only this
# folder is on sys.path; the components live beside it, in the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from provider.exported import COMPONENTS, PACKAGE, VERSION

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=PACKAGE, version=VERSION)
