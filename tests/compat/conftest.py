"""Fixtures for sql/compat/aws_lambda.sql: a throwaway cluster with the compat layer installed
and a local Lambda endpoint hosting the scaffolding handler (tests.support.lambda_test_handlers)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from tests.support.lambda_test_handlers import FUNCTION_TIMEOUT_S, TEST_HANDLER
from tests.support.postgres import cluster, install_compat

__all__ = ["cluster", "compat_cluster", "db", "test_lambda"]


@pytest.fixture(scope="session")
def compat_cluster(cluster: TemporaryCluster) -> TemporaryCluster:
    """The session's cluster with database `compat` holding the compat layer."""
    cluster.create_database("compat")
    install_compat(cluster, "compat")
    return cluster


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
