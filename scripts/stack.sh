#!/usr/bin/env bash
# Runs the real Pulumi engine on one stack of this project:
#   bash scripts/stack.sh <stack> <preview|up|destroy> [extra pulumi args...]
# preview and up always enforce the policy pack in policies/. The engine is the one
# scripts/engine.sh chose (ENGINE=auto|system|build); this script never builds one.
#
# Secrets: the local stack uses the documented development passphrase. Every other
# stack brings its own secrets provider (see docs/getting-started.md), and this script
# refuses to create or touch one with the development passphrase, so a first
# `make preview STACK=prod` can never encrypt prod with it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
. scripts/lib.sh
. scripts/engine-lib.sh

DEV_PASSPHRASE=shiksha-local-dev

usage() { echo "usage: bash scripts/stack.sh <stack> <preview|up|destroy> [pulumi args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
STACK="$1" ACTION="$2"; shift 2
case "$ACTION" in preview|up|destroy) ;; *) usage ;; esac

STACK_FILE="Pulumi.$STACK.yaml"
[ -f "$STACK_FILE" ] || { echo "!!! no stack config $STACK_FILE in $REPO" >&2; exit 2; }

# State stays in the working tree (git-ignored) unless the caller points elsewhere
# (the engine tests do, to keep the developer's state untouched; a team points it at
# its own backend).
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$REPO/.pulumi-state}"
export PULUMI_SKIP_UPDATE_CHECK=true

refuse() { # refuse "why" "what to do" ...: nothing has been run or written yet
  echo "!!! stack $STACK: $1" >&2
  shift
  for line in "$@"; do echo "    $line" >&2; done
  echo "    Nothing was done: no login, no stack created, $STACK_FILE unchanged." >&2
  exit 4
}

passphrase_in_use() {
  if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && [ -r "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    cat "$PULUMI_CONFIG_PASSPHRASE_FILE"
  else
    printf '%s' "${PULUMI_CONFIG_PASSPHRASE:-}"
  fi
}

if [ "$STACK" = local ]; then
  # Its committed secrets are encrypted with the development passphrase; a team
  # passphrase exported in the shell for another stack could not decrypt them.
  unset PULUMI_CONFIG_PASSPHRASE_FILE
  export PULUMI_CONFIG_PASSPHRASE="$DEV_PASSPHRASE"
else
  # The stack's own secrets provider: a KMS declared in its file, a Pulumi Cloud (or
  # other service) backend, or a passphrase the team keeps, never the development one.
  declared="$(sed -n 's/^secretsprovider:[[:space:]]*//p' "$STACK_FILE" | head -1)"
  if [ "$(passphrase_in_use)" = "$DEV_PASSPHRASE" ]; then
    refuse "the development passphrase ($DEV_PASSPHRASE) is for the local stack only." \
      "Unset PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE and use $STACK's own secrets provider:" \
      "its Pulumi Cloud backend (PULUMI_BACKEND_URL=https://api.pulumi.com, pulumi login), or the" \
      "secretsprovider its stack file declares (docs/getting-started.md, 'Stacks and their secrets')."
  fi
  case "$PULUMI_BACKEND_URL" in
    file://*|s3://*|gs://*|azblob://*)
      # A self-managed backend encrypts with the stack file's secretsprovider, or with a
      # passphrase when it declares none.
      if [ -z "$declared" ] && [ -z "$(passphrase_in_use)" ]; then
        refuse "no secrets provider: $STACK_FILE declares no secretsprovider and the backend $PULUMI_BACKEND_URL would encrypt it with a passphrase, which you have not set." \
          "$STACK lives in Pulumi Cloud, where the service holds its secrets: pulumi login, then" \
          "  PULUMI_BACKEND_URL=https://api.pulumi.com make preview STACK=$STACK" \
          "(CI does this with an OIDC token, .github/actions/pulumi-backend). A team that keeps it" \
          "elsewhere declares its KMS in $STACK_FILE (pulumi stack change-secrets-provider)."
      fi
      ;;
  esac
fi

if [ "$ENGINE" != build ] && check_system_engine; then
  use_system_engine
elif [ "$ENGINE" != system ] && built_engine_ready; then
  use_built_engine
else
  echo "!!! no Pulumi engine to run stack $STACK with (ENGINE=$ENGINE): ${ENGINE_PROBLEM:-the built engine is not in $ENGINE_BIN}." >&2
  echo "    Get one with: make engine   (your own pulumi if it is good enough, else the offline build)" >&2
  echo "    Not done: pulumi login, stack select/init, pulumi $ACTION." >&2
  exit 3
fi
[ -x .venv/bin/python ] || { echo "!!! .venv is missing: run make venv" >&2; exit 3; }

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
