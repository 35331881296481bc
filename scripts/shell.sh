#!/usr/bin/env bash
# `make shell`: an interactive shell in this project where `pulumi` is scripts/pulumi, so
# every `pulumi ...` of the docs runs with the engine, PULUMI_HOME, backend and (for the
# local stack only) passphrase that `make preview` uses. STACK=<stack> picks the stack the
# commands work on (default local); `--stack` on a command still wins. `exit` leaves.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
. scripts/lib.sh
. scripts/engine-lib.sh
NOT_DONE="no shell started"
. scripts/stack-env.sh
STACK="${STACK:-local}"
# Say now what is missing rather than at the first command.
(stack_backend_and_secrets && stack_engine "the shell" && echo "==> shell for stack $STACK: pulumi is scripts/pulumi (engine: $ENGINE_IN_USE; backend ${PULUMI_BACKEND_URL})")
export STACK
export PATH="$REPO/scripts/shell:$REPO/.venv/bin:$PATH"
echo "    every pulumi command works on stack $STACK unless it names another (--stack); exit to leave"
exec "${SHELL:-/bin/bash}" -i
