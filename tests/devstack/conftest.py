"""Fixtures for the devstack tests: a throwaway PostgreSQL cluster and a local Lambda endpoint
hosting the scaffolding handler of tests/compat, one of each per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The scaffolding handler (lambda_test_handlers) and its helpers live beside the compat tests.
COMPAT_TESTS = str(Path(__file__).resolve().parent.parent / "compat")
if COMPAT_TESTS not in sys.path:
    sys.path.insert(0, COMPAT_TESTS)

from compat_support import TEST_HANDLER, start_cluster  # noqa: E402 (needs the path above)

from devstack.lambda_invoke.server import LocalLambda  # noqa: E402
from devstack.postgres import TemporaryCluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[TemporaryCluster]:
    pg = start_cluster()
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
