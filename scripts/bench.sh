#!/usr/bin/env bash
# Every benchmark under bench/, one after the other (they share two cores; running them
# side by side would measure each other). Figures go to stdout and build/bench/*.txt.
# celery_broker needs root (the rendered broker files in a mount namespace) and the Celery
# clients' virtualenv (make test-tools); without them it says so and measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$SHIKSHA_CACHE/bin:$PWD/.venv/bin:$PATH"
mkdir -p build/bench
for script in bench/*.py; do
  name=$(basename "$script" .py)
  [ "$name" = "__init__" ] && continue
  step "bench $name" bash -c ".venv/bin/python -m bench.$name | tee build/bench/$name.txt"
done
