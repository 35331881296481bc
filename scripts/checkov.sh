#!/usr/bin/env bash
# checkov over what this repository deploys: the Kubernetes objects each stack renders
# under mocks (python -m tools.render) and the Dockerfiles in docker/. SARIF goes to
# build/checkov/ for the Security tab, the readable report to the console.
#   bash scripts/checkov.sh            (make checkov; CI's security job runs the same)
#   CHECKOV_STACKS="prod" bash scripts/checkov.sh
# Skipped checks and the reason for each live in .checkov.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

CHECKOV_VERSION=3.3.30
# Its own virtualenv: checkov's pins (pydantic, PyYAML, ...) clash with the program's.
VENV="$SHIKSHA_CACHE/venvs/checkov-$CHECKOV_VERSION"
OUT=build/checkov
read -r -a STACKS <<< "${CHECKOV_STACKS:-prod local}"

[ -x .venv/bin/python ] || { echo "!!! .venv is missing: run make setup" >&2; exit 3; }
if [ ! -x "$VENV/bin/checkov" ]; then
  step "install checkov==$CHECKOV_VERSION into its own virtualenv ($VENV)" \
    bash -c "rm -rf '$VENV' && python3 -m venv '$VENV' \
             && '$VENV/bin/pip' install -q --disable-pip-version-check 'checkov==$CHECKOV_VERSION'"
fi

dirs=()
for stack in "${STACKS[@]}"; do
  step "render stack $stack under mocks" .venv/bin/python -m tools.render "$stack"
  dirs+=(--directory "rendered/$stack-mock")
done
[ -n "$(find docker -maxdepth 1 -name 'Dockerfile*' 2>/dev/null)" ] \
  || { echo "!!! no Dockerfile in docker/: nothing to scan there" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT"
# --skip-download: checkov otherwise fetches guideline links from its vendor's API, which
# is neither reachable nor wanted here; the checks themselves ship in the package.
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
# shellcheck disable=SC2317  # called through `step`, which shellcheck cannot follow
scan() { # scan framework args...   (SARIF to $OUT/<framework>.sarif)
  local framework="$1"; shift
  # Bounded: a scan stuck on a network call must fail the job, not hold it until the CI timeout.
  timeout "${CHECKOV_TIMEOUT:-600}" "$VENV/bin/checkov" --config-file .checkov.yaml --skip-download --framework "$framework" "$@" \
    --output cli --output sarif --output-file-path "console,$OUT/$framework.sarif"
}
# Both scans run even when the first finds something, so one run reports everything.
rc=0
step "checkov kubernetes (${STACKS[*]})" scan kubernetes "${dirs[@]}" || rc=1
step "checkov dockerfile (docker/)" scan dockerfile --directory docker || rc=1
echo "SARIF: $(find "$OUT" -name '*.sarif' | sort | tr '\n' ' ')"
exit $rc
