"""Fixtures for sql/compat/aws_lambda.sql: a throwaway cluster with the compat layer installed
and a local Lambda endpoint hosting the scaffolding handler (lambda_test_handlers.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # compat_support and lambda_test_handlers live here
    sys.path.insert(0, HERE)

from compat_support import (  # noqa: E402 (needs the path above)
    FUNCTION_TIMEOUT_S,
    TEST_HANDLER,
    install_compat,
    start_cluster,
)

from devstack.lambda_invoke.server import LocalLambda  # noqa: E402
from devstack.postgres import TemporaryCluster  # noqa: E402


@pytest.fixture(scope="session")
def compat_cluster() -> Iterator[TemporaryCluster]:
    cluster = start_cluster()
    try:
        cluster.create_database("compat")
        install_compat(cluster, "compat")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def test_lambda() -> Iterator[LocalLambda]:
    with LocalLambda(handler=TEST_HANDLER, timeout_s=FUNCTION_TIMEOUT_S) as function:
        yield function


@pytest.fixture
def db(compat_cluster: TemporaryCluster, test_lambda: LocalLambda) -> Iterator[psycopg.Connection]:
    """A session of the compat database pointed at the test Lambda endpoint."""
    with psycopg.connect(compat_cluster.dsn("compat"), autocommit=True) as conn:
        conn.execute(f"SET aws_lambda.endpoint_override = '{test_lambda.url}'")
        yield conn
