#!/usr/bin/env bash
# The whole test suite, as CI runs it. Assumes `make engine` (and so `make setup`) ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$SHIKSHA_CACHE/bin:$PWD/.venv/bin:$PATH"
step "ruff" .venv/bin/python -m ruff check .
step "mypy" .venv/bin/python -m mypy
# xdist spreads the suite over both cores; tests that start servers pick free ports.
# The coverage floor is what the suite reaches (95 % on 2026-11-29) less a small margin.
.venv/bin/python -m pytest -n auto --dist loadgroup --cov --cov-report=term --cov-fail-under="${COVERAGE_FLOOR:-93}" "$@"
