#!/usr/bin/env bash
# The project virtualenv: all `make preview` needs besides an engine (scripts/engine.sh).
# The test tools come from scripts/setup-test-tools.sh (make test-tools). Cheap when done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Project virtualenv (Pulumi.yaml points the language host at it). `setup.sh runtime`
# installs what the program and the policy pack import (make venv, for preview);
# `setup.sh` adds the test and lint tools of requirements-dev.txt. The stamps live
# inside the virtualenv, so a fresh clone or a recreated .venv always installs.
MODE="${1:-dev}"
case "$MODE" in
  runtime) REQUIREMENTS=(-r requirements.txt -r policies/requirements.txt) ;;
  dev) REQUIREMENTS=(-r requirements-dev.txt) ;;
  *) echo "usage: bash scripts/setup.sh [runtime|dev]" >&2; exit 2 ;;
esac
[ -x .venv/bin/python ] || step "create .venv" python3 -m venv .venv
want_dev=$(cat requirements.txt requirements-dev.txt policies/requirements.txt | sha256sum | cut -c1-16)
want_runtime=$(cat requirements.txt policies/requirements.txt | sha256sum | cut -c1-16)
have_dev=$(cat .venv/.requirements-stamp 2>/dev/null || true)
have_runtime=$(cat .venv/.requirements-runtime-stamp 2>/dev/null || true)
if [ "$have_dev" = "$want_dev" ] || { [ "$MODE" = runtime ] && [ "$have_runtime" = "$want_runtime" ]; }; then
  exit 0
fi
step "pip install ${REQUIREMENTS[*]} into .venv" \
  .venv/bin/pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
echo "$want_runtime" > .venv/.requirements-runtime-stamp
if [ "$MODE" = dev ]; then echo "$want_dev" > .venv/.requirements-stamp; fi
