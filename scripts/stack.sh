#!/usr/bin/env bash
# Runs the real Pulumi engine on one stack of this project:
#   bash scripts/stack.sh <stack> <preview|up|destroy> [extra pulumi args...]
# preview and up always enforce the policy pack in policies/. The engine is the one
# scripts/engine.sh chose (ENGINE=auto|system|build); this script never builds one.
# The backend, the secrets (the development passphrase for the local stack only) and the
# engine come from scripts/stack-env.sh, which scripts/pulumi shares.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
. scripts/lib.sh
. scripts/engine-lib.sh
. scripts/stack-env.sh

usage() { echo "usage: bash scripts/stack.sh <stack> <preview|up|destroy> [pulumi args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
STACK="$1" ACTION="$2"; shift 2
case "$ACTION" in preview|up|destroy) ;; *) usage ;; esac

STACK_FILE="Pulumi.$STACK.yaml"
[ -f "$STACK_FILE" ] || { echo "!!! no stack config $STACK_FILE in $REPO" >&2; exit 2; }

stack_backend_and_secrets
stack_engine "pulumi login, stack select/init, pulumi $ACTION"
[ -x .venv/bin/python ] || { echo "!!! .venv is missing: run make venv" >&2; exit 3; }
stack_provider_plugins "pulumi login, stack select/init, pulumi $ACTION"

case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
echo "==> backend $PULUMI_BACKEND_URL, stack $STACK, engine: $ENGINE_IN_USE"
step "pulumi login $PULUMI_BACKEND_URL" pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
# Creating the stack must not rewrite Pulumi.<stack>.yaml: its encryption salt
# already matches the committed secrets.
if ! pulumi stack select --non-interactive "$STACK" >/dev/null 2>&1; then
  step "pulumi stack init $STACK" pulumi stack init --non-interactive "$STACK"
fi

case "$ACTION" in
  preview) step "pulumi preview --policy-pack policies ($STACK)" \
             pulumi preview --non-interactive --stack "$STACK" --policy-pack policies "$@" ;;
  up)      step "pulumi up --yes --policy-pack policies ($STACK)" \
             pulumi up --yes --non-interactive --stack "$STACK" --policy-pack policies "$@" ;;
  destroy) step "pulumi destroy --yes ($STACK)" \
             pulumi destroy --yes --non-interactive --stack "$STACK" "$@" ;;
esac
