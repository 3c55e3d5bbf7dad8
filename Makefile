# Two commands do everything on a fresh machine with Python 3.11, Node 22+ and make:
#   make synth   synthesize every stack of every environment, with all policy gates, into cdk.out/
#   make test    lint, type-check and run the test suite
# Every command sets up exactly what it needs and works on a fresh clone with nothing run before it: a .venv with the
# pinned packages of its own requirement group (below) and, where it synthesizes, the pinned CDK CLI in node_modules.
# Installs that are already up to date are skipped.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/environments.toml
OUT ?= cdk.out
CDK := node_modules/.bin/cdk

# Node 22 or later is required (Node 20 is past end of life and the AWS SDK asks for 22). An older Node still works,
# so the commands that run Node say so in one line (`node-version`, once, not again in sub-makes) instead of failing;
# jsii's own 11-line banner about it is silenced (its silencer takes the Node major version, not a boolean).
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(NODE_MAJOR)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python's bytecode cache is most of what makes a second synth or test run fast: without it every run compiles
# ~5 s of aws-cdk-lib sources again (issue 25). Images often set PYTHONDONTWRITEBYTECODE; the .pyc files land in
# .venv and in ignored __pycache__/ folders.
unexport PYTHONDONTWRITEBYTECODE

NODE_REQUIRED := 22

.PHONY: node-version synth test lint typecheck unit bench diff evidence acks clean clean-cache setup preflight verify \
  restore-drill keys check-config

setup: $(VENV)/.dev-installed $(CDK)

# uv installs the pinned packages in seconds where pip takes minutes; it is itself pinned, and plain pip is the
# fallback when uv cannot be installed (`install` uses whichever is there).
UV_VERSION := 0.13.8
install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
  else $(BIN)/pip install --quiet --quiet $(1); fi

# aws-cdk-lib and its dependency aws-cdk.cloud-assembly-schema both ship aws_cdk/cloud_assembly_schema/__init__.py, and
# the installer writes them in parallel: when the dependency's copy lands last, aws-cdk-lib's Python bindings pass
# structs of the wrong jsii type (cx_api.CloudAssembly refuses its load options). aws-cdk-lib reinstalled alone, last,
# puts its own copy in place on every install (tests/test_runtime_requirements.py checks the installed module).
CDK_LIB_PIN := aws-cdk-lib==$(shell sed -n 's/^aws-cdk-lib==\([0-9.]*\).*/\1/p' constraints.txt)
own_schema_module = if [ -x $(BIN)/uv ]; then \
  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --reinstall-package aws-cdk-lib $(CDK_LIB_PIN); \
  else $(BIN)/pip install --quiet --quiet --no-deps --force-reinstall $(CDK_LIB_PIN); fi

# Setup recipes are silent and say what they do in one line on stderr, so a command's standard output stays its own
# (`make verify ... OPS_ARGS=--json > out.json` on a fresh clone is JSON alone).
$(BIN)/python:
	@echo "setup: creating $(VENV) with $(PYTHON)" >&2
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --quiet uv==$(UV_VERSION) || echo "setup: uv unavailable: installing with pip" >&2

# One requirement group per kind of command, so each installs exactly what it needs (an auditor's `make evidence`
# gets no test toolchain). tests/test_runtime_requirements.py proves every third-party import of each command is
# pinned in the group its target installs.
#   config    requirements-config.txt    check-config (every other group includes it)
#   runtime   requirements.txt           synth, diff (the CDK app and its gates)
#   ops       requirements-ops.txt       preflight, verify, keys, restore-drill
#   evidence  requirements-evidence.txt  evidence
#   dev       requirements-dev.txt       test, lint, typecheck, bench (all of the above, plus the test tools)
$(VENV)/.runtime-installed: requirements.txt requirements-config.txt constraints.txt | $(BIN)/python
	@echo "setup: installing the runtime group (requirements.txt)" >&2
	@$(call install,-r requirements.txt -c constraints.txt)
	@$(own_schema_module)
	@touch $@

$(VENV)/.ops-installed: requirements-ops.txt requirements-config.txt constraints.txt | $(BIN)/python
	@echo "setup: installing the ops group (requirements-ops.txt)" >&2
	@$(call install,-r requirements-ops.txt -c constraints.txt)
	@touch $@

$(VENV)/.evidence-installed: requirements-evidence.txt requirements-config.txt constraints.txt | $(BIN)/python
	@echo "setup: installing the evidence group (requirements-evidence.txt)" >&2
	@$(call install,-r requirements-evidence.txt -c constraints.txt)
	@touch $@

# The dev group includes the others (-r) and installs them in one resolve, so it marks them installed too.
$(VENV)/.dev-installed: requirements-dev.txt requirements.txt requirements-ops.txt requirements-evidence.txt \
  requirements-config.txt constraints.txt | $(BIN)/python
	@echo "setup: installing the dev group (requirements-dev.txt)" >&2
	@$(call install,-r requirements-dev.txt -c constraints.txt)
	@$(own_schema_module)
	@touch $(VENV)/.config-installed $(VENV)/.runtime-installed $(VENV)/.ops-installed $(VENV)/.evidence-installed $@

node-version:
	@if [ $(MAKELEVEL) = 0 ] && [ $(NODE_MAJOR) -lt $(NODE_REQUIRED) ]; then \
	  echo "make: Node $(if $(filter 0,$(NODE_MAJOR)),is not installed,$(NODE_MAJOR) is older than $(NODE_REQUIRED)): install Node $(NODE_REQUIRED) or later (README, "The two commands")" >&2; \
	fi

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Validate the config alone, without starting the CDK (config/__main__.py: the same load_config app.py uses). It
# installs only the config group, so on a fresh clone it answers after seconds of setup, not the CDK's minute.
$(VENV)/.config-installed: requirements-config.txt constraints.txt | $(BIN)/python
	@echo "setup: installing the config group (requirements-config.txt)" >&2
	@$(call install,-r requirements-config.txt -c constraints.txt)
	@touch $@

check-config: $(VENV)/.config-installed
	@$(BIN)/python -m config $(CONFIG)

# Synthesize into a staging folder and move it into place only when every gate passed, so a rejected
# config or a policy finding never leaves a half-written cdk.out behind. The config is checked first, so a rejected
# one is reported before the CDK starts. `--ci` sends the CLI's non-error messages to stdout (errors stay on
# stderr), where the three lines it prints after every multi-stack synth are dropped: "Successfully synthesized to
# <staging folder>", "Supply a stack id (...) to display its template" and "N feature flags are not configured"
# (the flags live in app.py, which the CLI does not see; the CLI has no option to lower its log level).
# CELL=<name> synthesizes one cell's pipeline and only its environments (what the cell pipeline's synth step runs).
CELL ?=
CDK_SYNTH_NOISE := ^(Successfully synthesized to |Supply a stack id \(|[0-9]+ feature flags are not configured\. |$$)
synth: $(VENV)/.runtime-installed $(CDK) | node-version
	@$(BIN)/python -m config $(CONFIG) >/dev/null
	@rm -rf $(OUT).staging
	@if $(CDK) synth --quiet --ci --no-notices -c config=$(CONFIG) $(if $(CELL),-c cell=$(CELL)) -o $(OUT).staging \
	    | { grep -v -E '$(CDK_SYNTH_NOISE)' || true; }; then \
	  rm -rf $(OUT) && mv $(OUT).staging $(OUT) && echo "synthesized into $(OUT)/"; \
	else \
	  rm -rf $(OUT).staging; echo "synth failed: $(OUT)/ left as it was" >&2; exit 1; \
	fi

# Quiet on success: `make test` runs these beside pytest, whose progress line they would otherwise break.
lint: $(VENV)/.dev-installed
	@$(BIN)/ruff check --quiet .
	@$(BIN)/ruff format --check --quiet .

typecheck: $(VENV)/.dev-installed
	@$(BIN)/mypy --no-error-summary

# Two workers on the two cores, tests handed out one by one (--dist load: pytest 9 ignores pytest-xdist 3.8's
# groups); the workers share one CLI synth (tests/cli_synth.py), each deploys moto for itself.
# The JUnit XML is what `make evidence` reads to show each proving test's outcome.
unit: $(VENV)/.dev-installed $(CDK) | node-version
	$(BIN)/pytest -n 2 --dist load --junitxml=test-results.xml

# Lint, type-check and the suite run side by side (a cold mypy takes about a minute of one core). Output is not held
# back: ruff and mypy print nothing when clean, pytest its progress, so CI shows the suite's progress as it runs.
test:
	@$(MAKE) --no-print-directory -j3 lint typecheck unit
	@echo "lint, typecheck and unit passed"

# What the gates cost, as ratios measured side by side in one run (a benchmark, not a timed test);
# BENCH_TESTS=1 also times a warm and a fresh-clone `make test`.
bench: $(VENV)/.dev-installed $(CDK) | node-version
	$(BIN)/python scripts/bench.py

# Offline diff of the current tree against another revision (default HEAD~1), then a verdict in diff-report.md and
# diff-report.json (scripts/offline-diff, diff_verdict/): exit 2 when a stateful resource would be replaced or
# deleted unless ALLOW_REPLACE names it; security widening blocks only with STRICT=1 (exit 1).
#   make diff BASE=origin/main ALLOW_REPLACE=acme-prod-data/DatabaseInstanceAA8A5FDE STRICT=1
BASE ?= HEAD~1
ALLOW_REPLACE ?=
STRICT ?=
diff: $(VENV)/.runtime-installed $(CDK) | node-version
	ALLOW_REPLACE='$(ALLOW_REPLACE)' STRICT='$(STRICT)' scripts/offline-diff '$(BASE)'

# Acknowledgement summary of an existing cloud assembly (no synth): entries, causes, rule ids, entries on resources
# their rule does not inspect, and the app-wide rule exclusions; exits 1 when a target is missed (docs/acknowledgements.md).
acks: $(VENV)/.evidence-installed
	@$(BIN)/python -m scripts.acks $(OUT)

# Evidence report for auditors from an existing cloud assembly (no synth, no AWS call): $(EVIDENCE)/index.html,
# evidence.json and oscal/. STRICT=1 exits 1 if an in-scope control is not met; JUNIT=file shows test outcomes;
# DATE=YYYY-MM-DD sets the report date (default SOURCE_DATE_EPOCH, else the assembly's manifest.json mtime).
EVIDENCE ?= evidence
evidence: $(VENV)/.evidence-installed
	@$(BIN)/python -m evidence_report --out $(OUT) --evidence $(EVIDENCE) \
	  $(if $(JUNIT),--junit $(JUNIT)) $(if $(DATE),--date $(DATE)) $(if $(filter 1,$(STRICT)),--strict)

# Operations on a real account (read-only except restore-drill); credentials from AWS_PROFILE or the default chain,
# IAM policies in policies/iam/. e.g. make verify ENV=acme-prod ; make restore-drill ENV=acme-prod OPS_ARGS=--yes
# Nothing but the tool writes to stdout (this recipe is not echoed, and a first run's setup reports on stderr), so
# with OPS_ARGS=--json, `> out.json` is the JSON document alone.
ENV ?=
OPS_ARGS ?=
preflight verify restore-drill keys: $(VENV)/.ops-installed
	@test -n "$(ENV)" || { echo "name the environment: make $@ ENV=<tenant>-<stage>" >&2; exit 2; }
	@$(BIN)/python -m ops $@ --config $(CONFIG) --env $(ENV) $(if $(filter preflight,$@),$(if $(wildcard $(OUT)/manifest.json),--assembly $(OUT))) $(OPS_ARGS)

# Gate results are cached by content in .gate-cache/ (GATE_CACHE_DIR overrides, GATE_CACHE=off disables).
clean-cache:
	rm -rf .gate-cache

clean: clean-cache
	rm -rf $(OUT) $(OUT).staging base.out $(EVIDENCE) test-results.xml diff-report.md diff-report.json .pytest_cache .mypy_cache .ruff_cache
