# One entry point for people and CI. Every target sets up what it needs first,
# so `make preview` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := preview

# Everything built or downloaded outside pip lives in one cache outside the repo,
# keyed by version, so a second run costs nothing.
export SHIKSHA_CACHE ?= $(HOME)/.cache/shiksha-setu
export PATH := $(SHIKSHA_CACHE)/bin:$(CURDIR)/.venv/bin:$(PATH)
export PULUMI_HOME ?= $(SHIKSHA_CACHE)/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
# Development passphrase of the local stack only (documented in the README).
export PULUMI_CONFIG_PASSPHRASE ?= shiksha-local-dev

STACK ?= local
PY := .venv/bin/python

.PHONY: setup engine preview up destroy test test-fast test-extra lint typecheck render checkov bench
setup:            ## system packages, virtualenv, Python and Go tools
	@bash scripts/setup.sh
engine: setup     ## the Pulumi CLI, language host and providers, built from the Go module proxy
	@bash tools/engine/bootstrap.sh
	@bash tools/kube/bootstrap.sh
preview: engine   ## main job: preview the local stack with the policy pack enforced
	@bash scripts/stack.sh $(STACK) preview
up: engine        ## pulumi up of the local stack (writes manifests to rendered/local)
	@bash scripts/stack.sh $(STACK) up
destroy: engine
	@bash scripts/stack.sh $(STACK) destroy
test: engine      ## the whole test suite
	@bash scripts/test.sh
test-extra: engine  ## the proofs with binaries too heavy for `make test`: collector and secrets operator
	@bash tools/extra/build.sh all
	SHIKSHA_EXTRA=1 $(PY) -m pytest -m extra -p no:cacheprovider tests/logging tests/secrets_manager tests/apiserver
lint: setup
	$(PY) -m ruff check . && $(PY) -m ruff format --check .
typecheck: setup
	$(PY) -m mypy
render: setup     ## render every manifest of a stack under mocks to rendered/<stack>-mock
	$(PY) -m tools.render $(STACK)
checkov: setup
	@bash scripts/checkov.sh
bench: setup
	@bash scripts/bench.sh
diagram:          ## the prod estate's allowed connections and edge routes, drawn to docs/estate.svg
	$(PY) -m tools.diagram prod --out docs/estate.svg
