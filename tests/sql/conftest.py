"""Fixtures for the SQL package on a real PostgreSQL: one throwaway cluster per test session,
one fresh database per test module, one transaction per test (rolled back)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from tests.support.postgres import (
    CLOSED_ENDPOINT,
    DEMO_ARN,
    LAMBDA_ARN,
    cluster,
    install,
    new_database,
    rolled_back,
)

__all__ = ["cluster", "db", "s3vl_db"]


@pytest.fixture(scope="module")
def s3vl_db(cluster: TemporaryCluster, request: pytest.FixtureRequest) -> str:
    """A database with compat and s3vl installed, configured (without a round trip) for a
    Lambda endpoint nobody listens on, and `demo-index` registered with dimension 5 cosine."""
    dbname = new_database(cluster, request.module.__name__.rsplit(".", 1)[-1])
    install(cluster, dbname)
    cluster.psql(
        "-q",
        "-c",
        f"ALTER DATABASE \"{dbname}\" SET aws_lambda.endpoint_override = '{CLOSED_ENDPOINT}'",
        "-c",
        f"ALTER DATABASE \"{dbname}\" SET aws_lambda.connect_timeout_ms = '500'",
        dbname=dbname,
    )
    cluster.psql(
        "-q",
        "-c",
        f"SELECT s3vl.configure('{LAMBDA_ARN}', 'us-east-1', validate => false)",
        "-c",
        f"SELECT s3vl.register_index('demo-index', '{DEMO_ARN}', 'demo', 5, 'cosine')",
        dbname=dbname,
    )
    return cluster.dsn(dbname)


@pytest.fixture
def db(s3vl_db: str) -> Iterator[psycopg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with rolled_back(s3vl_db) as conn:
        yield conn
