#!/usr/bin/env bash
# What `make preview`/`up`/`destroy` need: the virtualenv and a Pulumi engine. The two
# share nothing, and pip mostly waits on the network while an engine build keeps both
# cores busy, so they run side by side (docs/engine.md has the cold figures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime &
venv=$!
engine_rc=0
bash scripts/engine.sh || engine_rc=$?
venv_rc=0
wait "$venv" || venv_rc=$?
[ "$venv_rc" = 0 ] || { echo "!!! setting up the virtualenv failed (exit $venv_rc; output above)" >&2; exit "$venv_rc"; }
exit "$engine_rc"
