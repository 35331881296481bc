#!/usr/bin/env bash
# Builds the Pulumi engine (CLI, Python language host and scripts, resource
# providers) from the Go module proxy with this machine's Go toolchain, because
# the official installers download from hosts these machines cannot reach.
# Everything lands in $SHIKSHA_CACHE/engine/<component>-<version>/ and is linked
# into $SHIKSHA_CACHE/bin; a component whose directory is complete is not rebuilt,
# so a warm run costs a few seconds.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
. "$REPO/scripts/lib.sh"

# Versions; check_pins below holds them to requirements.txt. The CLI must not be older
# than the `pulumi` SDK it drives (a newer CLI speaks to older SDKs); a provider must be
# exactly the version its SDK package asks the engine for.
# The newest github.com/pulumi/pulumi/pkg/v3 the Go module proxy serves (2026-12-01:
# v3.276.0; it refuses v3.261.0-v3.273.0 and v3.277.0+).
PULUMI_VERSION=3.276.0
# The Kubernetes provider module has no tags; kubernetes/go.mod requires the commit
# of release v4.25.0 (f47bc2d6, the only provider commit the proxy serves; see
# tools/engine/README.md for how it was identified).
KUBERNETES_VERSION=4.25.0
KUBERNETES_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_COMMIT_VERSION=$(sed -n "s|^[[:space:]]*$KUBERNETES_MODULE \(v[^ ]*\).*|\1|p" "$HERE/kubernetes/go.mod")
# The built engine's plugins live apart from the user's own ~/.pulumi.
export PULUMI_HOME="$SHIKSHA_CACHE/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
ENGINE="$SHIKSHA_CACHE/engine"
BIN="$SHIKSHA_CACHE/bin"
mkdir -p "$ENGINE" "$BIN" "$PULUMI_HOME"
# The Go module proxy only; no VCS fallback, so a module it does not serve fails
# here instead of reaching for a host we cannot reach.
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
# -dwarf=false: the binaries are linked with -s -w, which drops the debug information,
# so the compiler need not write it: the CLI's cold compile took 11 % less CPU (docs/engine.md).
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath -gcflags=all=-dwarf=false"
export CGO_ENABLED=0
# The compiler collects its garbage four times less often, for a few hundred MiB more per
# compile: `go build std` went 13 % faster side by side (docs/engine.md; on the whole engine
# the gain was within the noise of two cold runs).
export GOGC="${GOGC:-400}"

fail() { echo "!!! engine bootstrap: $*" >&2; exit 1; }

# Step wrapper that names the module on failure, so a broken build says what broke.
build_step() { # build_step module what command...
  local module="$1" what="$2"; shift 2
  step "$what" "$@" || fail "step '$what' failed for module $module (see output above)"
}

# A component is done when its directory holds the stamp written after its last step.
done_dir() { [ -f "$1/.complete" ]; }

REQUIREMENTS="${SHIKSHA_REQUIREMENTS:-$REPO/requirements.txt}"
pinned() { # pinned package -> version from requirements.txt
  sed -n "s/^$1==\([^ ]*\).*/\1/p" "$REQUIREMENTS"
}
check_pins() {
  local want
  want=$(pinned pulumi)
  [ -n "$want" ] || fail "$REQUIREMENTS has no pulumi== pin"
  version_at_least "$PULUMI_VERSION" "$want" || fail "$REQUIREMENTS pins the pulumi SDK at $want, newer than the CLI this builds ($PULUMI_VERSION); the CLI must not be older than the SDK: raise PULUMI_VERSION here (if the Go module proxy serves a newer github.com/pulumi/pulumi/pkg/v3) or lower the pin"
  want=$(sed -n 's/^pulumi==\([^ ]*\).*/\1/p' "$REPO/policies/requirements.txt")
  [ -z "$want" ] || version_at_least "$PULUMI_VERSION" "$want" || fail "policies/requirements.txt pins the pulumi SDK at $want, newer than the CLI this builds ($PULUMI_VERSION)"
  want=$(pinned pulumi-kubernetes)
  [ "$want" = "$KUBERNETES_VERSION" ] || fail "$REQUIREMENTS pins pulumi-kubernetes==$want but the Kubernetes provider is built at $KUBERNETES_VERSION (the SDK asks the engine for exactly its own plugin version); align the two"
}
version_at_least() { # version_at_least have want
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]
}

# The provider module has no tags, and the proxy has served exactly one commit of it
# (the one kubernetes/go.mod requires). When it serves another, say so: that may be a
# newer release to move to (tools/engine/README.md says how the version was identified).
check_kubernetes_commit() {
  local latest
  latest=$(curl -fsS --max-time 10 "$GOPROXY/$KUBERNETES_MODULE/@latest" 2>/dev/null \
    | sed -n 's/.*"Version": *"\([^"]*\)".*/\1/p') || return 0
  if [ -n "$latest" ] && [ "$latest" != "$KUBERNETES_COMMIT_VERSION" ]; then
    echo "==> note: the Go module proxy now serves $KUBERNETES_MODULE@$latest (built here: $KUBERNETES_COMMIT_VERSION = v$KUBERNETES_VERSION); see tools/engine/README.md before moving to it"
  fi
}

# The upstream module sources in the Go module cache (read-only copies).
moddir() { # moddir module@version -> directory
  (cd "$HERE/cli" && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

# --- Pulumi CLI -------------------------------------------------------------
CLI_PACKAGE=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
CLI_OUT="$ENGINE/pulumi-$PULUMI_VERSION"
build_cli() {
  local out="$CLI_OUT"
  if ! done_dir "$out"; then
    rm -rf "$out"; mkdir -p "$out"
    # Same linker flag as the upstream release build, so `pulumi version` and the
    # plugin compatibility checks see the real version.
    build_step github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION \
      "go build pulumi CLI v$PULUMI_VERSION into $out" \
      bash -c "cd '$HERE/cli' && go build -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION' -o '$out/pulumi' $CLI_PACKAGE"
    local sdk
    sdk=$(moddir "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION") || fail "go mod download github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION failed"
    # The scripts that ship beside the language host in the release archive.
    install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
    install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$out/pulumi-resource-pulumi-python"
    if [ -f "$sdk/python/dist/pulumi-analyzer-policy-python" ]; then
      install -m 0755 "$sdk/python/dist/pulumi-analyzer-policy-python" "$out/pulumi-analyzer-policy-python"
    fi
    touch "$out/.complete"
  else
    echo "==> pulumi CLI v$PULUMI_VERSION: cached in $out"
  fi
  for f in "$out"/pulumi-*; do ln -sf "$f" "$BIN/$(basename "$f")"; done
  # The CLI takes the language host beside its own (symlink-resolved) path as the one
  # bundled with it and warns on every run when PATH offers another; a hard link puts
  # the CLI itself in $BIN, so the host linked there is the bundled one.
  rm -f "$BIN/pulumi"
  ln "$out/pulumi" "$BIN/pulumi" 2>/dev/null || cp "$out/pulumi" "$BIN/pulumi"
}

# --- Python language host ----------------------------------------------------
build_language_python() {
  local out="$LANGHOST_OUT"
  if ! done_dir "$out"; then
    rm -rf "$out"; mkdir -p "$out"
    build_step shiksha-setu/tools/engine/langhost \
      "go build pulumi-language-python (our host, see tools/engine/langhost) into $out" \
      bash -c "cd '$HERE/langhost' && go build -ldflags '-s -w -X main.version=$PULUMI_VERSION' -o '$out/pulumi-language-python' ."
    touch "$out/.complete"
  else
    echo "==> pulumi-language-python: cached in $out"
  fi
  ln -sf "$out/pulumi-language-python" "$BIN/pulumi-language-python"
}
recipe_hash() { # recipe_hash dir -> short hash of the sources and scripts that build it
  # A recipe without scripts (langhost) has no *.sh to cat: not a failure.
  { cat "$HERE/$1"/*.go "$HERE/$1"/*.sh "$HERE/$1/go.mod" "$HERE/$1/go.sum" 2>/dev/null || true; } | sha256sum | cut -c1-12
}
LANGHOST_OUT="$ENGINE/pulumi-language-python-$PULUMI_VERSION-$(recipe_hash langhost)"

# --- Kubernetes provider -----------------------------------------------------
# Keyed by the recipe too, so a change of commit or replacement rebuilds it.
KUBERNETES_OUT="$ENGINE/pulumi-resource-kubernetes-$KUBERNETES_VERSION-$(recipe_hash kubernetes)"
build_kubernetes() {
  local out="$KUBERNETES_OUT"
  if ! done_dir "$out"; then
    rm -rf "$out"; mkdir -p "$out"
    bash "$HERE/kubernetes/build.sh" "$KUBERNETES_VERSION" "$out" \
      || fail "building github.com/pulumi/pulumi-kubernetes/provider/v4 (tools/engine/kubernetes/build.sh) failed"
    touch "$out/.complete"
  else
    echo "==> pulumi-resource-kubernetes v$KUBERNETES_VERSION: cached in $out"
  fi
}

install_plugin() { # install_plugin kind name version binary
  local dir="$PULUMI_HOME/plugins/$1-$2-v$3"
  if [ -x "$dir/pulumi-$1-$2" ] && cmp -s "$dir/pulumi-$1-$2" "$4"; then
    echo "==> plugin $1 $2 v$3: installed in $dir"
    return
  fi
  build_step "pulumi plugin install" "pulumi plugin install $1 $2 $3 --file $4" \
    "$BIN/pulumi" plugin install "$1" "$2" "$3" --file "$4" --reinstall
}

# --- Packages the CLI and the provider share ------------------------------------
# kubernetes/go.mod requires the CLI's version of every module the two share except
# pulumi/pulumi's own (tests/engine/test_engine_modules.py), so grpc, protobuf, x/net,
# OpenTelemetry and the rest compile to the same build-cache entries in both. The two
# builds run side by side and would each compile them; compiling them once first, with
# both cores, saves that (docs/engine.md).
KUBERNETES_PACKAGES="$KUBERNETES_MODULE/pkg/provider $KUBERNETES_MODULE/pkg/version"
shared_packages() {
  local format='{{if not .Standard}}{{.ImportPath}} {{with .Module}}{{.Version}}{{end}}{{end}}' cli provider
  # Listed into variables first, so a failing `go list` fails this function.
  cli=$(cd "$HERE/cli" && go list -deps -f "$format" "$CLI_PACKAGE") || return 1
  # shellcheck disable=SC2086
  provider=$(cd "$HERE/kubernetes" && go list -deps -f "$format" $KUBERNETES_PACKAGES) || return 1
  comm -12 <(sort -u <<<"$cli") <(sort -u <<<"$provider") | cut -d' ' -f1
}
build_shared() {
  local packages
  packages=$(shared_packages) || fail "go list could not read the CLI's or the provider's packages"
  [ -n "$packages" ] || return 0
  # $packages splits into arguments; the single quotes are the inner shell's script.
  # shellcheck disable=SC2086,SC2016
  build_step "the packages both builds import" \
    "go build the $(wc -w <<<"$packages") packages the CLI and the provider share (compiled once for both)" \
    bash -c 'cd "$0" && go build "$@"' "$HERE/cli" $packages
}

# Every component already built for these versions and recipes: nothing to build.
engine_cached() { done_dir "$CLI_OUT" && done_dir "$LANGHOST_OUT" && done_dir "$KUBERNETES_OUT"; }

T0=$SECONDS
if engine_cached; then
  echo "==> engine bootstrap: using the cached engine in $ENGINE (nothing to build; plugins in $PULUMI_HOME/plugins, links in $BIN)"
  CACHED=1
else
  echo "==> engine bootstrap: building what is missing into $ENGINE (plugins in $PULUMI_HOME/plugins, links in $BIN)"
  CACHED=0
  command -v go >/dev/null || fail "the go command is missing (Go 1.26 is needed to build the engine)"
fi
check_pins
case "$GOPROXY" in https://*) check_kubernetes_commit ;; esac
# The provider and the CLI share no step. Built one after the other, each leaves a core
# idle through its link and its few largest packages; side by side, on a cold 2-core
# machine, the two finish sooner (docs/engine.md has the figures). The Go build and
# module caches are safe for concurrent use.
if ! done_dir "$CLI_OUT" && ! done_dir "$KUBERNETES_OUT"; then
  build_shared
fi
build_kubernetes & kubernetes_pid=$!
build_cli
build_language_python
wait "$kubernetes_pid" || fail "the Kubernetes provider build failed (output above)"
# Installing a plugin needs the CLI, so it waits for both.
install_plugin resource kubernetes "$KUBERNETES_VERSION" "$KUBERNETES_OUT/pulumi-resource-kubernetes"
if [ "$CACHED" = 1 ]; then
  echo "==> engine ready (cached, nothing built) in $((SECONDS - T0)) s: $("$BIN/pulumi" version)"
else
  echo "==> engine ready in $((SECONDS - T0)) s: $("$BIN/pulumi" version) ($(du -sh "$ENGINE" | cut -f1) in $ENGINE)"
fi
