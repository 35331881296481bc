# shellcheck shell=bash disable=SC2034  # the variables set here are read by the scripts that source it
# Which Pulumi engine runs the stacks; sourced by scripts/engine.sh (which may build
# one) and scripts/stack.sh (which only uses one). ENGINE (make's variable) says:
#   auto   - the user's own `pulumi` when it is new enough and has the Kubernetes
#            provider this program pins, otherwise the engine built into the cache
#   system - the user's own `pulumi` only; fail, never build
#   build  - the engine built from the Go module proxy (tools/engine/bootstrap.sh)
# Needs REPO and SHIKSHA_CACHE (scripts/lib.sh).

ENGINE="${ENGINE:-auto}"
ENGINE_BIN="$SHIKSHA_CACHE/bin"
# The built engine keeps its plugins apart from the user's ~/.pulumi.
ENGINE_HOME="$SHIKSHA_CACHE/pulumi-home"

# The oldest CLI this program supports: the CLI must not be older than the SDK it
# drives, and the Kubernetes provider must be the one pulumi-kubernetes asks for.
pin() { sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$REPO/requirements.txt"; }
MIN_PULUMI="$(pin pulumi)"
KUBERNETES_PLUGIN="$(pin pulumi-kubernetes)"

version_at_least() { # version_at_least have want
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]
}

# PATH without the cache's bin, so "the user's pulumi" is never our own build.
user_path() {
  local out="" dir
  local IFS=:
  for dir in $PATH; do
    [ "$dir" = "$ENGINE_BIN" ] || out="${out:+$out:}$dir"
  done
  printf '%s' "$out"
}

# check_system_engine: succeeds when the user's engine can run this program; otherwise
# ENGINE_PROBLEM says why not in one line. Sets SYSTEM_PULUMI and SYSTEM_VERSION.
check_system_engine() {
  ENGINE_PROBLEM=""
  SYSTEM_PULUMI="$(PATH="$(user_path)" command -v pulumi || true)"
  SYSTEM_VERSION=""
  if [ -z "$SYSTEM_PULUMI" ]; then
    ENGINE_PROBLEM="no pulumi CLI on your PATH"
    return 1
  fi
  SYSTEM_VERSION="$("$SYSTEM_PULUMI" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -1)"
  if [ -z "$SYSTEM_VERSION" ]; then
    ENGINE_PROBLEM="$SYSTEM_PULUMI does not report a version (pulumi version)"
    return 1
  fi
  if ! version_at_least "$SYSTEM_VERSION" "$MIN_PULUMI"; then
    ENGINE_PROBLEM="your pulumi $SYSTEM_VERSION ($SYSTEM_PULUMI) is older than the Python SDK this program pins ($MIN_PULUMI); upgrade it to $MIN_PULUMI or newer"
    return 1
  fi
  # The language host ships beside the CLI in every release archive.
  if [ ! -x "$(dirname "$SYSTEM_PULUMI")/pulumi-language-python" ] \
     && ! PATH="$(user_path)" command -v pulumi-language-python >/dev/null; then
    ENGINE_PROBLEM="no pulumi-language-python beside $SYSTEM_PULUMI or on your PATH"
    return 1
  fi
  if ! has_system_plugin; then
    ENGINE_PROBLEM="the Kubernetes provider plugin v$KUBERNETES_PLUGIN is not installed for your pulumi"
    return 1
  fi
}

has_system_plugin() {
  has_resource_plugin "$SYSTEM_PULUMI" kubernetes "$KUBERNETES_PLUGIN"
}

# has_resource_plugin pulumi name version: whether that engine (with the PULUMI_HOME in
# effect) has the resource provider plugin installed.
has_resource_plugin() {
  "$1" plugin ls --json 2>/dev/null | python3 -c '
import json, sys
plugins = json.load(sys.stdin) or []
want = {"name": sys.argv[1], "kind": "resource", "version": sys.argv[2]}
sys.exit(0 if any(all(p.get(k) == v for k, v in want.items()) for p in plugins) else 1)
' "$2" "$3"
}

# Installs the Kubernetes provider into the user's plugin home, as `pulumi install`
# would on first use; quiet and bounded, so an offline machine falls through quickly.
install_system_plugin() {
  timeout 300 "$SYSTEM_PULUMI" plugin install resource kubernetes "$KUBERNETES_PLUGIN" >/dev/null 2>&1
}

built_engine_ready() {
  local tool
  for tool in pulumi pulumi-language-python pulumi-language-python-exec; do
    [ -x "$ENGINE_BIN/$tool" ] || return 1
  done
  [ -x "$ENGINE_HOME/plugins/resource-kubernetes-v$KUBERNETES_PLUGIN/pulumi-resource-kubernetes" ]
}

# use_system_engine / use_built_engine: the environment the engine then runs in.
use_system_engine() {
  PATH="$(user_path)"
  export PATH
  ENGINE_IN_USE="your pulumi $SYSTEM_VERSION ($SYSTEM_PULUMI)"
}
use_built_engine() {
  # First on PATH: the CLI takes the language host beside it, and the built host is
  # the one that matches the built CLI.
  PATH="$ENGINE_BIN:$(user_path)"
  export PATH
  export PULUMI_HOME="$ENGINE_HOME"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  ENGINE_IN_USE="the built engine in $ENGINE_BIN (PULUMI_HOME $ENGINE_HOME)"
}

case "$ENGINE" in
  auto|system|build) ;;
  *) echo "!!! ENGINE=$ENGINE: expected auto, system or build" >&2; exit 2 ;;
esac
