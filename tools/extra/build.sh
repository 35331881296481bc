#!/usr/bin/env bash
# Builds the two heavy binaries only the opt-in proofs run (make test-extra):
#   eso      the External Secrets Operator controller (tools/extra/eso: go.mod pins it)
#   eso-render  the operator's template engine alone (tools/extra/eso/render), a quick build
#   otelcol  a minimal OpenTelemetry Collector distribution made by the collector's own
#            builder (tools/extra/otelcol/manifest.yaml pins the builder and components)
#   trivy    trivy (TRIVY_VERSION below) from its Go module, for its misconfiguration checks
#            (make trivy, tests/ci/test_trivy.py); its checks are embedded, none downloaded
# Both come from the Go module proxy and land in $SHIKSHA_EXTRA_CACHE/<name>/<stamp>/,
# linked into $SHIKSHA_EXTRA_CACHE/bin. A directory whose stamp matches its pins is not
# rebuilt (a warm run costs well under a second). Kept out of the shared cache the
# default build fills, so this never competes with or corrupts it.
#   usage: tools/extra/build.sh eso|eso-render|otelcol|trivy|all
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
. "$REPO/scripts/lib.sh"

EXTRA="${SHIKSHA_EXTRA_CACHE:-$HOME/.cache/shiksha-setu-extra}"
BIN="$EXTRA/bin"
mkdir -p "$BIN"
fail() { echo "!!! extra build: $*" >&2; exit 1; }
command -v go >/dev/null || fail "the go command is missing (Go 1.26 is needed)"

export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export CGO_ENABLED=0
PARALLEL="${SHIKSHA_GO_PARALLEL:-2}"
# Heavy and optional: never take CPU from anything else on the machine.
NICE="nice -n 19"

build_eso() {
  local dir="$HERE/eso" version stamp out
  version=$(sed -n 's|^require github.com/external-secrets/external-secrets \(v[^ ]*\)$|\1|p' "$dir/go.mod")
  [ -n "$version" ] || fail "cannot read the operator pin from $dir/go.mod"
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go" | sha256sum | cut -c1-16)
  out="$EXTRA/eso/$version"
  if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    eso_crds "$dir" "$out"
    ln -sf "$out/external-secrets" "$BIN/external-secrets"
    echo "==> external-secrets $version: cached in $out"; return 0
  fi
  rm -rf "$out"; mkdir -p "$out"
  step "go build external-secrets $version (every provider: the operator's controllers import them all)" \
    bash -c "cd '$dir' && GOFLAGS='-mod=readonly -trimpath' $NICE go build -p '$PARALLEL' -ldflags '-s -w' -o '$out/external-secrets' ." \
    || fail "building the External Secrets Operator failed (see above)"
  eso_crds "$dir" "$out"
  echo "$stamp" > "$out/.complete"
  ln -sf "$out/external-secrets" "$BIN/external-secrets"
}

build_eso_render() { # the operator's template engine alone: a small, quick build
  local dir="$HERE/eso" version stamp out
  version=$(sed -n 's|^require github.com/external-secrets/external-secrets \(v[^ ]*\)$|\1|p' "$dir/go.mod")
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" "$dir/render/main.go" | sha256sum | cut -c1-16)
  out="$EXTRA/eso-render/$version"
  if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    ln -sf "$out/eso-render" "$BIN/eso-render"
    echo "==> eso-render $version: cached in $out"; return 0
  fi
  rm -rf "$out"; mkdir -p "$out"
  step "go build eso-render (the operator's pkg/template/v2) $version" \
    bash -c "cd '$dir' && GOFLAGS='-mod=readonly -trimpath' $NICE go build -p '$PARALLEL' -ldflags '-s -w' -o '$out/eso-render' ./render" \
    || fail "building eso-render failed (see above)"
  echo "$stamp" > "$out/.complete"
  ln -sf "$out/eso-render" "$BIN/eso-render"
}

eso_crds() { # every CRD of the built release, for the sync proof's control plane
  local dir="$1" out="$2" module
  if [ ! -d "$out/crds" ]; then
    module=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/external-secrets/external-secrets) \
      || fail "cannot locate the operator's module to copy its CRDs"
    rm -rf "$out/crds.tmp" && mkdir -p "$out/crds.tmp"
    cp "$module"/config/crds/bases/*.yaml "$out/crds.tmp/" && chmod 644 "$out"/crds.tmp/*.yaml
    mv "$out/crds.tmp" "$out/crds"
  fi
  ln -sfn "$out/crds" "$BIN/external-secrets-crds"
}

build_otelcol() {
  local dir="$HERE/otelcol" builder_version stamp out gobin
  builder_version=$(sed -n 's|^# builder: \(v[^ ]*\)$|\1|p' "$dir/manifest.yaml")
  [ -n "$builder_version" ] || fail "cannot read the '# builder: vX' pin from $dir/manifest.yaml"
  stamp=$(cat "$dir/manifest.yaml" | sha256sum | cut -c1-16)
  out="$EXTRA/otelcol/$builder_version"
  if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    ln -sf "$out/otelcol-shiksha" "$BIN/otelcol-shiksha"
    echo "==> otelcol-shiksha $builder_version: cached in $out"; return 0
  fi
  rm -rf "$out"; mkdir -p "$out"
  gobin="$out/builder-bin"
  step "go install the collector builder $builder_version" \
    env GOBIN="$gobin" GOFLAGS=-trimpath $NICE go install "go.opentelemetry.io/collector/cmd/builder@$builder_version" \
    || fail "installing the collector builder failed (see above)"
  # The builder writes the distribution's sources into output_path and compiles them.
  sed "s|@OUTPUT@|$out/src|" "$dir/manifest.yaml" > "$out/manifest.yaml"
  step "build the collector distribution (filelog receiver, otlphttp exporter)" \
    env GOFLAGS="-trimpath -p=$PARALLEL" $NICE "$gobin/builder" --config "$out/manifest.yaml" \
    || fail "building the collector distribution failed (see above)"
  ln -sf "$out/src/otelcol-shiksha" "$out/otelcol-shiksha"
  echo "$stamp" > "$out/.complete"
  ln -sf "$out/otelcol-shiksha" "$BIN/otelcol-shiksha"
}

# The trivy-checks module this release embeds is pinned in scripts/setup-test-tools.sh
# (TRIVY_CHECKS_VERSION); tests/ci/test_trivy.py reads both from the built binary.
TRIVY_VERSION=v0.74.0
build_trivy() {
  local out="$EXTRA/trivy/$TRIVY_VERSION" stamp="$TRIVY_VERSION jsonv2"
  if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    ln -sf "$out/trivy" "$BIN/trivy"
    echo "==> trivy $TRIVY_VERSION: cached in $out"; return 0
  fi
  rm -rf "$out"; mkdir -p "$out"
  # encoding/json/v2 is still an experiment in Go 1.26: trivy's own release builds set it too.
  # Without the -X, `trivy --version` says "dev".
  step "go install trivy $TRIVY_VERSION (every scanner: its command imports them all)" \
    env GOBIN="$out" GOEXPERIMENT=jsonv2 GOFLAGS="-trimpath -p=$PARALLEL" $NICE go install \
      -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
      "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION" \
    || fail "building trivy failed (see above)"
  echo "$stamp" > "$out/.complete"
  ln -sf "$out/trivy" "$BIN/trivy"
}

T0=$SECONDS
case "${1:-all}" in
  eso) build_eso ;;
  eso-render) build_eso_render ;;
  otelcol) build_otelcol ;;
  trivy) build_trivy ;;
  all) build_otelcol; build_eso_render; build_eso; build_trivy ;;
  *) fail "usage: $0 eso|eso-render|otelcol|trivy|all" ;;
esac
echo "==> extra build done in $((SECONDS - T0)) s (binaries in $BIN)"
