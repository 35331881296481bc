#!/usr/bin/env bash
# trivy, pinned, built from its Go module into $SHIKSHA_CACHE (cheap when already built), and
# the trivy-checks module its go.mod pins, linked at $SHIKSHA_CACHE/trivy-checks (the Rego
# that tests/ci/ksv0109.py ports). The checks are embedded in the binary: scanning needs no
# download (scripts/trivy-config.sh, tests/ci/test_trivy.py run it without a network).
# Called by scripts/setup-test-tools.sh and scripts/trivy-config.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

TRIVY_VERSION=v0.74.0
dir="$SHIKSHA_CACHE/go-tools/trivy-$TRIVY_VERSION"
if [ ! -x "$dir/trivy" ]; then
  # encoding/json/v2 is still an experiment in Go 1.26; trivy's own release builds set it too.
  # Without the -X, `trivy --version` says "dev".
  step "go install trivy $TRIVY_VERSION (cached in $dir)" \
    env GOBIN="$dir" GOEXPERIMENT=jsonv2 CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" \
    go install -ldflags="-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
    "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
fi
ln -sf "$dir/trivy" "$SHIKSHA_CACHE/bin/trivy"

if [ ! -d "$dir/trivy-checks" ]; then
  link_checks() {
    local gomod checks moddir
    gomod=$(go mod download -json "github.com/aquasecurity/trivy@$TRIVY_VERSION" | jq -r .GoMod)
    checks=$(sed -n 's|^\s*github.com/aquasecurity/trivy-checks \(v[^ ]*\)$|\1|p' "$gomod")
    [ -n "$checks" ] || { echo "!!! no trivy-checks pin in $gomod" >&2; return 1; }
    moddir=$(go mod download -json "github.com/aquasecurity/trivy-checks@$checks" | jq -r .Dir)
    ln -sfn "$moddir" "$dir/trivy-checks"
  }
  step "link the trivy-checks module trivy $TRIVY_VERSION embeds" link_checks
fi
ln -sfn "$dir/trivy-checks" "$SHIKSHA_CACHE/trivy-checks"
