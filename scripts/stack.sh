#!/usr/bin/env bash
# Runs the real Pulumi engine on one stack of this project against the local file
# backend: bash scripts/stack.sh <stack> <preview|up|destroy> [extra pulumi args...]
# preview and up always enforce the policy pack in policies/.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
. scripts/lib.sh

usage() { echo "usage: bash scripts/stack.sh <stack> <preview|up|destroy> [pulumi args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
STACK="$1" ACTION="$2"; shift 2
case "$ACTION" in preview|up|destroy) ;; *) usage ;; esac

export PULUMI_HOME="${PULUMI_HOME:-$SHIKSHA_CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The documented development passphrase of the local stack; other stacks must bring their own.
if [ "$STACK" = local ]; then export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-shiksha-local-dev}"; fi
# State stays in the working tree (git-ignored) unless the caller points elsewhere,
# which the engine tests do to keep the developer's state untouched.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$REPO/.pulumi-state}"
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
export PATH="$SHIKSHA_CACHE/bin:$REPO/.venv/bin:$PATH"

[ -f "Pulumi.$STACK.yaml" ] || { echo "!!! no stack config Pulumi.$STACK.yaml in $REPO" >&2; exit 2; }

[ -x .venv/bin/python ] || { echo "!!! .venv is missing: run make setup" >&2; exit 3; }
missing=()
for tool in pulumi pulumi-language-python pulumi-language-python-exec; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "!!! the Pulumi engine is not installed: ${missing[*]} not found in $SHIKSHA_CACHE/bin." >&2
  echo "    Build it with: make engine   (tools/engine/bootstrap.sh)" >&2
  echo "    Done so far: stack config Pulumi.$STACK.yaml found, state directory ready for $PULUMI_BACKEND_URL." >&2
  echo "    Not done: pulumi login, stack select/init, pulumi $ACTION." >&2
  exit 3
fi

echo "==> backend $PULUMI_BACKEND_URL, stack $STACK, plugins in $PULUMI_HOME/plugins"
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
