# shellcheck shell=bash
# The environment the engine runs a stack of this project in; sourced by scripts/stack.sh
# (make preview/up/destroy) and scripts/pulumi (the `pulumi` of `make shell`), so a
# command typed by hand meets exactly the backend, secrets and engine `make` uses.
# Needs REPO, scripts/lib.sh and scripts/engine-lib.sh.
#
# Secrets: the local stack uses the documented development passphrase. Every other
# stack brings its own secrets provider (see docs/getting-started.md), and this refuses
# to create or touch one with the development passphrase, so a first
# `make preview STACK=prod` can never encrypt prod with it.

DEV_PASSPHRASE=shiksha-local-dev

# What was not done when a refusal stops a command (the callers say it their way).
NOT_DONE="${NOT_DONE:-no login, no stack created}"

refuse() { # refuse "why" "what to do" ...: nothing has been run or written yet
  echo "!!! stack $STACK: $1" >&2
  shift
  for line in "$@"; do echo "    $line" >&2; done
  echo "    Nothing was done: $NOT_DONE, $STACK_FILE unchanged." >&2
  exit 4
}

passphrase_in_use() {
  if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && [ -r "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    cat "$PULUMI_CONFIG_PASSPHRASE_FILE"
  else
    printf '%s' "${PULUMI_CONFIG_PASSPHRASE:-}"
  fi
}

# stack_backend_and_secrets: PULUMI_BACKEND_URL and the secrets of stack $STACK, or a refusal.
stack_backend_and_secrets() {
  STACK_FILE="Pulumi.$STACK.yaml"
  # State stays in the working tree (git-ignored) unless the caller points elsewhere
  # (the engine tests do, to keep the developer's state untouched; a team points it at
  # its own backend).
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$REPO/.pulumi-state}"
  export PULUMI_SKIP_UPDATE_CHECK=true
  if [ "$STACK" = local ]; then
    # Its committed secrets are encrypted with the development passphrase; a team
    # passphrase exported in the shell for another stack could not decrypt them.
    unset PULUMI_CONFIG_PASSPHRASE_FILE
    export PULUMI_CONFIG_PASSPHRASE="$DEV_PASSPHRASE"
    return 0
  fi
  # The stack's own secrets provider: a KMS declared in its file, a Pulumi Cloud (or
  # other service) backend, or a passphrase the team keeps, never the development one.
  local declared=""
  [ ! -f "$STACK_FILE" ] || declared="$(sed -n 's/^secretsprovider:[[:space:]]*//p' "$STACK_FILE" | head -1)"
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
}

# stack_engine "what would have run": the engine scripts/engine.sh chose on PATH (and its
# PULUMI_HOME), or exit 3 saying how to get one. Never builds.
stack_engine() {
  if [ "$ENGINE" != build ] && check_system_engine; then
    use_system_engine
  elif [ "$ENGINE" != system ] && built_engine_ready; then
    use_built_engine
  else
    echo "!!! no Pulumi engine to run stack $STACK with (ENGINE=$ENGINE): ${ENGINE_PROBLEM:-the built engine is not in $ENGINE_BIN}." >&2
    echo "    Get one with: make engine   (your own pulumi if it is good enough, else the offline build)" >&2
    echo "    Not done: $1." >&2
    exit 3
  fi
}

# stack_provider_plugins: before the engine starts, the provider plugins the stack's
# program asks for beyond Kubernetes (the docker-host target's Docker provider, the image
# builds' docker-build provider), or exit 3 saying what is missing, why, and what works.
# Needs stack_engine first (the engine and its PULUMI_HOME).
stack_provider_plugins() {
  local needs name package version missing="" install=""
  needs="$("$REPO/.venv/bin/python" - "$STACK_FILE" <<'PY'
import sys

import yaml

with open(sys.argv[1]) as f:
    config = (yaml.safe_load(f) or {}).get("config") or {}
# The model's default target is kubernetes; images.build is off unless a stack sets it.
if config.get("shiksha-setu:target", "kubernetes") == "docker-host":
    print("docker pulumi-docker")
images = config.get("shiksha-setu:images")
if isinstance(images, dict) and images.get("build"):
    print("docker-build pulumi-docker-build")
PY
)" || return 0  # a stack file it cannot read: the program's own errors say more
  while read -r name package; do
    [ -n "$name" ] || continue
    version="$(pin "$package")"
    if ! has_resource_plugin pulumi "$name" "$version"; then
      missing="${missing:+$missing, }pulumi-resource-$name v$version ($package==$version)"
      install="${install:+$install; }pulumi plugin install resource $name $version"
    fi
  done <<< "$needs"
  [ -n "$missing" ] || return 0
  echo "!!! stack $STACK needs provider plugins this engine does not have: $missing." >&2
  echo "    Engine: $ENGINE_IN_USE." >&2
  echo "    Why: the Go module proxy, the only source this machine builds engine parts from, does not" >&2
  echo "    serve the pulumi-docker providers, so they cannot be built here (docs/containers.md, Limits)." >&2
  echo "    What works here: make render STACK=$STACK   (every resource the stack registers, under" >&2
  echo "    Pulumi's mocks, written to rendered/$STACK-mock/; no engine, no Docker daemon)." >&2
  echo "    On a machine that reaches Pulumi's plugin downloads: $install (then make preview works as it is)." >&2
  echo "    Not done: $1." >&2
  exit 3
}
