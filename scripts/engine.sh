#!/usr/bin/env bash
# Makes sure a Pulumi engine can run this program (`make engine`, and so `make preview`):
# the user's own when it is good enough, otherwise the one built offline from the Go
# module proxy (tools/engine/bootstrap.sh). ENGINE=auto|system|build, see engine-lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
. scripts/lib.sh
. scripts/engine-lib.sh

T0=$SECONDS
if [ "$ENGINE" != build ]; then
  check_system_engine || true
  if [[ "$ENGINE_PROBLEM" == "the Kubernetes provider plugin"* ]]; then
    # Installable is as good as installed: fetch it the way pulumi itself would.
    if step "pulumi plugin install resource kubernetes $KUBERNETES_PLUGIN (for your pulumi $SYSTEM_VERSION)" install_system_plugin; then
      check_system_engine || true
    else
      ENGINE_PROBLEM="$ENGINE_PROBLEM, and installing it failed (offline?)"
    fi
  fi
  if [ -z "$ENGINE_PROBLEM" ]; then
    use_system_engine
    echo "==> engine: $ENGINE_IN_USE with the Kubernetes provider v$KUBERNETES_PLUGIN; nothing to build ($((SECONDS - T0)) s)"
    exit 0
  fi
  if [ "$ENGINE" = system ]; then
    echo "!!! ENGINE=system: $ENGINE_PROBLEM." >&2
    echo "    Install the Pulumi CLI $MIN_PULUMI or newer (https://www.pulumi.com/docs/install/) and run" >&2
    echo "    'pulumi plugin install resource kubernetes $KUBERNETES_PLUGIN', or build the engine offline with ENGINE=build." >&2
    exit 3
  fi
  if built_engine_ready; then
    echo "==> engine: not using your own ($ENGINE_PROBLEM); the engine built offline, from its cache in $SHIKSHA_CACHE (ENGINE=system refuses, ENGINE=build skips this check)"
  else
    echo "==> engine: not using your own ($ENGINE_PROBLEM); building the engine offline (ENGINE=system refuses, ENGINE=build skips this check)"
  fi
fi
bash tools/engine/bootstrap.sh
