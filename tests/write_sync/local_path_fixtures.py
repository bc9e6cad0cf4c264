"""The fixtures of the folders that run the whole local path (tests/write_sync,
tests/security): a conftest imports them by name, which registers them for its folder.

One cluster for the session; one local path (S3 Vectors service, Lambda endpoint with the
real bridge, a database with s3vl configured) per module; indexes emptied and sync state
forgotten before every test that uses the path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from sqlsupport import start_cluster
from write_sync_support import LocalPath, SpyOnWrites, open_local_path

from devstack.postgres import TemporaryCluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[TemporaryCluster]:
    pg = start_cluster()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def path(cluster: TemporaryCluster, request: pytest.FixtureRequest) -> Iterator[LocalPath]:
    """S3 Vectors + bridge + a database with s3vl configured and `items` (dimension 4,
    cosine), `wide` and `notes` registered through the bridge. Named after the folder and the
    module, so two folders never share a bucket or a database."""
    name = f"{request.path.parent.name[:3]}-{request.module.__name__.rsplit('.', 1)[-1]}"
    slug = re.sub(r"[^a-z0-9]", "-", name.lower())[:40]
    with open_local_path(cluster, slug) as local:
        yield local


@pytest.fixture
def db(path: LocalPath) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the superuser that installed s3vl: writes to S3 Vectors
    are not transactional anyway, and the sync tests need committed outbox rows."""
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the path starts with empty indexes and no sync state."""
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
