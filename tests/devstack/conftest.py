"""Fixtures for the devstack tests: a throwaway PostgreSQL cluster and a local Lambda endpoint
hosting the scaffolding handler of tests/compat, one of each per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import PostgresUnavailableError, TemporaryCluster

# The scaffolding handler module (lambda_test_handlers) lives beside the compat tests.
COMPAT_TESTS = str(Path(__file__).resolve().parent.parent / "compat")
if COMPAT_TESTS not in sys.path:
    sys.path.insert(0, COMPAT_TESTS)

TEST_HANDLER = "lambda_test_handlers.handle"


@pytest.fixture(scope="module")
def cluster() -> Iterator[TemporaryCluster]:
    try:
        pg = TemporaryCluster().start()
    except PostgresUnavailableError as exc:
        pytest.fail(f"PostgreSQL is required for these tests: {exc}")
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def local_lambda() -> Iterator[LocalLambda]:
    with LocalLambda(
        handler=TEST_HANDLER, timeout_s=1, environment={"S3VL_TEST_SETTING": "from-env"}
    ) as function:
        yield function
