"""Settings shared by every test folder; each folder's conftest.py holds its own fixtures."""

import os
import shutil

import pytest

from tests.support import sql_mutant

# jsii (under aws-cdk-lib) prints a large end-of-life banner for Node 20 at import; it drowns
# the test output and says nothing about our code. The value lists the Node majors to silence.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Production-shaped latency (devstack/production_latency.py) is for benchmarks: a developer's
# own DEVSTACK_PRODUCTION_LATENCY must not slow the servers tests start as processes
# (tests/devstack/test_production_latency.py turns it on for its own servers only).
os.environ.pop("DEVSTACK_PRODUCTION_LATENCY", None)

_MUTANT = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Only tests/sql/hand_mutants.py sets S3VL_SQL_MUTANT: the tests then install mutated SQL.
    try:
        applied = sql_mutant.use_from_environment()
    except sql_mutant.MutantError as exc:  # a usage error (exit 4), never a test failure
        raise pytest.UsageError(str(exc)) from exc
    if applied is not None:
        mutant, scratch = applied
        config.stash[_MUTANT] = mutant.name
        config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))


def pytest_report_header(config: pytest.Config) -> str | None:
    name = config.stash.get(_MUTANT, None)
    return None if name is None else f"SQL MUTANT APPLIED ({sql_mutant.VARIABLE}): {name}"
