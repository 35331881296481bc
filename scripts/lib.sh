# Shared shell helpers: timed, named steps so long work says what it does and how long it took.
SHIKSHA_CACHE="${SHIKSHA_CACHE:-$HOME/.cache/shiksha-setu}"
export SHIKSHA_CACHE
mkdir -p "$SHIKSHA_CACHE/bin"

step() { # step "what" command...
  local what="$1"; shift
  local t0=$SECONDS
  echo "==> $what"
  if "$@"; then
    echo "    done: $what ($((SECONDS - t0)) s)"
  else
    local rc=$?
    echo "!!! failed: $what (exit $rc after $((SECONDS - t0)) s)" >&2
    return $rc
  fi
}

# Runs a command only when the hash of the given files changed since its last success.
stamp_ok() { # stamp_ok name file...
  local name="$1"; shift
  local want; want=$(cat "$@" 2>/dev/null | sha256sum | cut -c1-16)
  [ -f "$SHIKSHA_CACHE/stamps/$name" ] && [ "$(cat "$SHIKSHA_CACHE/stamps/$name")" = "$want" ]
}
stamp_set() {
  local name="$1"; shift
  mkdir -p "$SHIKSHA_CACHE/stamps"
  cat "$@" 2>/dev/null | sha256sum | cut -c1-16 > "$SHIKSHA_CACHE/stamps/$name"
}
