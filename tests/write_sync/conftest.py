"""The whole local path for the write and sync tests: a real PostgreSQL cluster with compat
and s3vl, the local S3 Vectors service and the Lambda Invoke endpoint with the real bridge.

The cluster lives for the session; the service and the endpoint live per module, because the
hosted handler reads process-wide environment (another folder's session stack may hold it too:
the caches are cleared on both ends). Each module gets a fresh database and its own indexes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

# Reuse the SQL and e2e helpers rather than copying them.
TESTS = Path(__file__).resolve().parents[1]
for folder in ("sql", "e2e"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))
from sqlsupport import start_cluster  # noqa: E402
from write_sync_support import LocalPath, SpyOnWrites, open_local_path  # noqa: E402

from devstack.postgres import TemporaryCluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster() -> Iterator[TemporaryCluster]:
    pg = start_cluster()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def path(cluster: TemporaryCluster, request: pytest.FixtureRequest) -> Iterator[LocalPath]:
    """S3 Vectors + bridge + a database with s3vl configured and `items` (dimension 4, cosine)
    registered through the bridge."""
    slug = re.sub(r"[^a-z0-9]", "-", request.module.__name__.rsplit(".", 1)[-1].lower())[:40]
    with open_local_path(cluster, slug) as local:
        yield local


@pytest.fixture
def db(path: LocalPath) -> Iterator[psycopg.Connection]:
    """An autocommit connection: writes to S3 Vectors are not transactional anyway, and the
    sync tests need committed outbox rows. Each test clears what it wrote (see `clean`)."""
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty indexes and no sync state."""
    if "path" not in request.fixturenames:
        yield
        return
    p: LocalPath = request.getfixturevalue("path")
    p.empty_indexes()
    p.forget_sync_state()
    yield


@pytest.fixture
def spy() -> Iterator[SpyOnWrites]:
    with SpyOnWrites() as recorder:
        yield recorder
