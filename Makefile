# Two commands do everything on a fresh machine with Python 3.11, Node and make:
#   make synth   synthesize every stack of every environment, with all policy gates, into cdk.out/
#   make test    lint, type-check and run the test suite
# Each sets up what it needs (a .venv with pinned packages, the pinned CDK CLI in node_modules)
# and skips installs that are already up to date.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/environments.toml
OUT ?= cdk.out
CDK := node_modules/.bin/cdk

# jsii (the bridge from Python to the CDK's JavaScript) warns on every run that Node 20 is past end
# of life; it still works. The silencer takes the Node major version, not a boolean.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: synth test lint typecheck unit bench diff clean setup preflight verify restore-drill keys

setup: $(VENV)/.dev-installed $(CDK)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Synthesize into a staging folder and move it into place only when every gate passed, so a rejected
# config or a policy finding never leaves a half-written cdk.out behind.
synth: $(VENV)/.runtime-installed $(CDK)
	rm -rf $(OUT).staging
	if $(CDK) synth --quiet --ci --no-notices -c config=$(CONFIG) -o $(OUT).staging; then \
	  rm -rf $(OUT) && mv $(OUT).staging $(OUT) && echo "synthesized into $(OUT)/"; \
	else \
	  rm -rf $(OUT).staging; echo "synth failed: $(OUT)/ left as it was" >&2; exit 1; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

unit: $(VENV)/.dev-installed $(CDK)
	$(BIN)/pytest

test: lint typecheck unit

# Synthesis cost, measured with pytest-benchmark (not a timed test).
bench: $(VENV)/.dev-installed
	$(BIN)/pytest tests/benchmarks -o addopts="" --benchmark-only --benchmark-columns=min,mean,max,rounds

# Offline diff of the current tree against another revision (default HEAD~1; e.g. make diff BASE=origin/main).
BASE ?= HEAD~1
diff: $(VENV)/.runtime-installed $(CDK)
	scripts/offline-diff $(BASE)

# Operations on a real account (read-only except restore-drill); credentials from AWS_PROFILE or the default chain,
# IAM policies in policies/iam/. e.g. make verify ENV=acme-prod ; make restore-drill ENV=acme-prod OPS_ARGS=--yes
ENV ?=
OPS_ARGS ?=
preflight verify restore-drill keys: $(VENV)/.runtime-installed
	@test -n "$(ENV)" || { echo "name the environment: make $@ ENV=<tenant>-<stage>" >&2; exit 2; }
	$(BIN)/python -m ops $@ --config $(CONFIG) --env $(ENV) $(if $(filter preflight,$@),$(if $(wildcard $(OUT)/manifest.json),--assembly $(OUT))) $(OPS_ARGS)

clean:
	rm -rf $(OUT) $(OUT).staging base.out .pytest_cache .mypy_cache .ruff_cache
