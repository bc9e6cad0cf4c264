"""The whole local path, once per test session: PostgreSQL with compat and s3vl, the local
S3 Vectors service holding the sample vectors, and the Lambda Invoke endpoint running the real
bridge handler. Each test module gets a fresh database; each test a rolled-back transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from devstack.stack import PRODUCTS_SQL, LocalStack
from tests.support.postgres import cluster, rolled_back

__all__ = ["cluster", "db", "e2e_db", "stack"]


@pytest.fixture(scope="session")
def stack(cluster: TemporaryCluster) -> Iterator[LocalStack]:
    with LocalStack(
        cluster=cluster,
        database=None,  # one per test module: e2e_db
        # injected faults surface at once, without retries
        bridge_environment={"S3VL_MAX_ATTEMPTS": "1"},
    ) as local:
        yield local


@pytest.fixture(scope="module")
def e2e_db(stack: LocalStack, request: pytest.FixtureRequest) -> str:
    """A database where s3vl is installed, configured for the local bridge and demo-index
    registered through it, plus the products table."""
    dbname = "e2e_" + re.sub(r"[^a-z0-9_]", "_", request.module.__name__.rsplit(".", 1)[-1])
    return stack.add_database(dbname, sql=[PRODUCTS_SQL])


@pytest.fixture
def db(e2e_db: str) -> Iterator[psycopg.Connection]:
    with rolled_back(e2e_db) as conn:
        yield conn
