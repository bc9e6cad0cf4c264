"""The whole local path, once per test session: PostgreSQL with compat and s3vl, the local
S3 Vectors service holding the sample vectors, and the Lambda Invoke endpoint running the real
bridge handler. Each test module gets a fresh database; each test a rolled-back transaction."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

# The cluster helpers live beside the SQL tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))
from e2esupport import Stack, new_bridge_container
from sqlsupport import start_cluster

from devstack import up
from devstack.lambda_invoke.server import LocalLambda
from devstack.s3vectors.server import LocalS3Vectors


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    cluster = start_cluster()
    s3vectors = LocalS3Vectors()
    function = None
    try:
        url = s3vectors.start()
        demo = up.create_demo_index(url)
        up.load_sample_vectors(url, demo.index_arn)
        function = LocalLambda(
            environment={
                "S3VECTORS_ENDPOINT_URL": url,
                "S3VL_BUCKET_ARNS": demo.bucket_arn,
                "AWS_REGION": up.REGION,
                "S3VL_MAX_ATTEMPTS": "1",  # injected faults surface at once, without retries
            }
        ).start()
        new_bridge_container()
        yield Stack(cluster, url, function, demo)
    finally:
        if function is not None:
            function.stop()
        s3vectors.stop()
        cluster.stop()


@pytest.fixture(scope="module")
def e2e_db(stack: Stack, request: pytest.FixtureRequest) -> str:
    """A database where s3vl is installed, configured for the local bridge and demo-index
    registered through it, plus the products table."""
    dbname = "e2e_" + re.sub(r"[^a-z0-9_]", "_", request.module.__name__.rsplit(".", 1)[-1])
    stack.cluster.psql("-q", "-c", f'DROP DATABASE IF EXISTS "{dbname}"')
    stack.cluster.create_database(dbname)
    up.install_s3vl(stack.cluster, dbname, lambda_url=stack.function.url)
    stack.cluster.psql("-q", "-f", str(up.PRODUCTS_SQL), dbname=dbname)
    up.configure_and_register(
        stack.cluster,
        dbname,
        lambda_arn=stack.function.function_arn,
        index_arn=stack.demo.index_arn,
    )
    return stack.cluster.dsn(dbname)


@pytest.fixture
def db(e2e_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(e2e_db) as conn:
        try:
            yield conn
        finally:
            conn.rollback()
