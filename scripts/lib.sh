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
