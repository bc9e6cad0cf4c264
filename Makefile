# The workflow of s3vl. `make demo` and `make test` set up what they need on a fresh
# Debian or Ubuntu machine: Debian packages (devstack/system-deps.sh) and .venv/.

PYTHON ?= python3
# jsii prints a large end-of-life banner for Node 20 (what Debian machines here have) on every
# CDK call; the value lists the Node majors whose banner is silenced.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint synth bench mutate mutate-sql system-deps venv clean

demo: system-deps $(STAMP)
	$(PY) -m devstack up

test: system-deps $(STAMP)
	$(PY) -m pytest

# Unit tests only: no PostgreSQL, no servers.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy devstack lambda_src/s3vl_bridge infra sql/compat
	$(PY) -m sql.compat.generate --check

synth: system-deps $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx --yes aws-cdk@2 synth --quiet

bench: system-deps $(STAMP)
	$(PY) -m bench

# Mutation testing of the modules that guard access and data (issue 14), the bridge's and the
# local S3 Vectors service's: never part of `make test` or CI (see docs/development.md for
# how long it takes on 2 cores). mutmut and what it mutates are pyproject.toml's `mutation`
# group and [tool.mutmut]; it works in $(MUTATE_DIR), on a copy of the code (its mutants/
# folder, kept between runs: a run tries again the mutants an earlier one left alive, then
# those of changed code, and keeps every other result; a file that joined only_mutate is
# copied anew). The table per module is tests/mutation/mutation_report.py's;
# `cd $(MUTATE_DIR) && ../../$(VENV)/bin/mutmut show NAME` shows one mutant, `make mutate
# MUTANTS='devstack.s3vectors.filters.*'` runs some again. Then tests/mutation/hand_mutants.py
# tries the bugs mutmut cannot make (module-level values, model validators, cached
# properties and field constraints), each against the tests that must catch it.
MUTATE_DIR := build/mutate
MUTANTS ?=
mutate: system-deps $(STAMP)
	$(PY) -m pip install -q --group mutation
	mkdir -p $(MUTATE_DIR)
	ln -sfn ../../lambda_src $(MUTATE_DIR)/src
	ln -sfn ../../devstack $(MUTATE_DIR)/devstack
	ln -sfn ../../tests $(MUTATE_DIR)/tests
	ln -sfn ../../sample-data $(MUTATE_DIR)/sample-data
	ln -sfn ../../pyproject.toml $(MUTATE_DIR)/pyproject.toml
	cd $(MUTATE_DIR) && alive="$$(../../$(PY) ../../tests/mutation/mutation_report.py --retest mutants)" \
		&& if [ -n "$$alive" ] && [ -z "$(MUTANTS)" ]; then ../../$(VENV)/bin/mutmut run $$alive; fi
	cd $(MUTATE_DIR) && ../../$(VENV)/bin/mutmut run $(MUTANTS)
	$(PY) tests/mutation/mutation_report.py $(MUTATE_DIR)/mutants; status=$$?; \
	$(PY) tests/mutation/hand_mutants.py $(MUTATE_DIR)/hand || status=1; \
	$(PY) -m tests.sql.hand_mutants || status=1; exit $$status

# The SQL package's hand-made mutants (tests/sql/hand_mutants.py; no tool mutates PL/pgSQL):
# each planted in the SQL the tests install on their scratch databases, against the tests that
# must catch it (about 4 minutes on 2 cores; also the last step of `make mutate`).
mutate-sql: system-deps $(STAMP)
	$(PY) -m tests.sql.hand_mutants

system-deps:
	@bash devstack/system-deps.sh

venv: $(STAMP)

# Dependency groups (PEP 735) need pip 25.1 or newer, so pip is upgraded first.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --group dev
	touch $(STAMP)

clean:
	rm -rf $(VENV) cdk.out build .pytest_cache
