#!/usr/bin/env bash
# trivy's misconfiguration checks over every manifest of the prod stack, rendered under mocks
# (python -m tools.render) in both edge modes; fails on any HIGH or CRITICAL finding.
# trivy is built by tools/extra/build.sh (its cold build is too heavy for make test,
# docs/ci-cd.md); the checks embedded in the binary, no download, no version check: an empty
# cache directory of its own makes trivy say "Falling back to embedded checks". SARIF goes
# to build/trivy/ for the Security tab, the readable table to the console.
#   bash scripts/trivy-config.sh       (make trivy; CI's security job runs the same)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

OUT=build/trivy
[ -x .venv/bin/python ] || { echo "!!! .venv is missing: run make setup" >&2; exit 3; }
bash tools/extra/build.sh trivy
TRIVY="${SHIKSHA_EXTRA_CACHE:-$HOME/.cache/shiksha-setu-extra}/bin/trivy"

rm -rf "$OUT"
mkdir -p "$OUT"
# shellcheck disable=SC2317  # called through `step`, which shellcheck cannot follow
scan() { # scan dir name
  local common=(config --skip-check-update --skip-version-check --disable-telemetry
    --misconfig-scanners kubernetes --cache-dir "$OUT/cache" --severity HIGH,CRITICAL --exit-code 1)
  "$TRIVY" "${common[@]}" --format sarif --output "$OUT/$2.sarif" "$1" >/dev/null || true
  "$TRIVY" "${common[@]}" --format table "$1"
}
rc=0
for mode in gateway-api ingress-nginx; do
  step "render stack prod under mocks (ingress.mode $mode)" \
    .venv/bin/python -m tools.render prod --out "rendered/prod-$mode-mock" --set "ingress={mode: $mode}"
  step "trivy config rendered/prod-$mode-mock (HIGH, CRITICAL)" scan "rendered/prod-$mode-mock" "prod-$mode" || rc=1
done
echo "SARIF: $(find "$OUT" -name '*.sarif' | sort | tr '\n' ' ')"
exit $rc
