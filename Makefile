# One entry point for people and CI. Every target sets up what it needs first, and
# only that: `make preview` needs the virtualenv and a Pulumi engine; the test tools
# (promtool, the control plane, nca, actionlint, Debian's servers) come with `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := preview

# Everything built or downloaded outside pip lives in one cache outside the repo,
# keyed by version, so a second run costs nothing.
export SHIKSHA_CACHE ?= $(HOME)/.cache/shiksha-setu
# Which Pulumi engine runs the stacks (scripts/engine.sh):
#   auto   - your own `pulumi` on PATH when it is new enough and has the Kubernetes
#            provider; otherwise the offline build below (the default)
#   system - your own `pulumi` only; never build
#   build  - the engine built from the Go module proxy into $(SHIKSHA_CACHE)
export ENGINE ?= auto
# The project's virtualenv only; the engine's directory goes on PATH in the scripts,
# after yours unless ENGINE=build, so your own `pulumi` is never shadowed by the cache.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true

STACK ?= local
# Extra arguments for pulumi, e.g. make preview ARGS=--diff, make up ARGS='--target <urn>'.
ARGS ?=
# Extra arguments for pytest in `make test`, e.g. PYTEST_ARGS='--random-order' (a shuffled
# order; the seed is printed, replay it with --random-order-seed=N: docs/testing.md).
PYTEST_ARGS ?=
PY := .venv/bin/python

.PHONY: setup venv dev engine runtime engine-test test-tools preview up destroy test test-extra lint typecheck render config config-schema shell checkov trivy bench diagram config-reference
venv:             ## the project virtualenv (.venv): what the program and the policy pack import
	@bash scripts/setup.sh runtime
dev: venv         ## .venv plus the test and lint tools of requirements-dev.txt
	@bash scripts/setup.sh dev
setup: dev test-tools  ## everything: virtualenv and the test tools
test-tools: dev   ## Debian packages and the Go/Python tools the tests drive (promtool, nca, actionlint)
	@bash scripts/setup-test-tools.sh
engine:           ## a Pulumi engine: yours (ENGINE=auto|system) or built offline (ENGINE=build)
	@bash scripts/engine.sh
runtime:          ## what the stacks need: the virtualenv and an engine, set up side by side
	@bash scripts/runtime.sh
engine-test: dev ## the control plane the API server tests run (kube-apiserver, controller-manager, etcd)
	@bash tools/kube/bootstrap.sh
preview: runtime  ## main job: preview the stack (default local) with the policy pack enforced
	@bash scripts/stack.sh $(STACK) preview $(ARGS)
up: runtime       ## pulumi up of the stack (local: writes manifests for review to rendered/local)
	@bash scripts/stack.sh $(STACK) up $(ARGS)
destroy: runtime
	@bash scripts/stack.sh $(STACK) destroy $(ARGS)
shell: runtime    ## a shell where `pulumi` runs with the engine, backend and secrets of STACK (scripts/pulumi)
	@STACK=$(STACK) bash scripts/shell.sh
# The engine tests drive the built engine (its own language host and plugin home).
test: test-tools engine-test  ## the whole test suite
	@ENGINE=build bash scripts/engine.sh
	@bash scripts/test.sh $(PYTEST_ARGS)
test-extra: dev engine  ## the proofs with binaries too heavy for `make test`: collector, secrets operator, trivy
	@bash tools/extra/build.sh all
	SHIKSHA_EXTRA=1 $(PY) -m pytest -m extra -p no:cacheprovider tests/logging tests/secrets_manager tests/apiserver tests/ci/test_trivy.py
lint: dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .
typecheck: dev
	$(PY) -m mypy
render: dev      ## render every manifest of a stack under mocks to rendered/<stack>-mock
	$(PY) -m tools.render $(STACK)
config: venv      ## a stack's effective configuration as YAML: defaults merged, secrets as [secret]; no engine
	@$(PY) -m tools.config $(STACK)
config-schema: venv  ## the JSON schema of the stack configuration (the model's, camelCase keys)
	@$(PY) -m tools.config --schema
checkov: dev
	@bash scripts/checkov.sh
trivy: dev       ## trivy's misconfiguration checks over the prod manifests (both edge modes): no HIGH/CRITICAL
	@bash scripts/trivy-config.sh
bench: dev
	@bash scripts/bench.sh
diagram:          ## the prod estate's allowed connections and edge routes, drawn to docs/estate.svg
	$(PY) -m tools.diagram prod --out docs/estate.svg
config-reference: dev  ## docs/config-reference.md regenerated from the estate model
	$(PY) -m tools.config_reference
