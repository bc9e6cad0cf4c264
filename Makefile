# The workflow of s3vl. `make demo` and `make test` set up what they need on a fresh
# Debian or Ubuntu machine: Debian packages (devstack/system-deps.sh) and .venv/.

PYTHON ?= python3
# jsii prints a large end-of-life banner for Node 20 (what Debian machines here have) on every
# CDK call; the value lists the Node majors whose banner is silenced.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint synth bench system-deps venv clean

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
