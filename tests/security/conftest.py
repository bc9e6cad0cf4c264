"""The attack tests: real roles against the real local path (PostgreSQL with compat and s3vl,
the Lambda Invoke endpoint with the real bridge, the local S3 Vectors service).

The fixtures are the write and sync tests' (tests/write_sync/write_sync_support.py): one
cluster for the session, one local path and database per module, indexes emptied and sync
state forgotten before each test. `attacker` makes a fresh login role for one test.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

TESTS = Path(__file__).resolve().parents[1]
for folder in ("sql", "e2e", "write_sync"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))
from sqlsupport import start_cluster  # noqa: E402
from write_sync_support import LocalPath, SpyOnWrites, open_local_path  # noqa: E402

from devstack.postgres import TemporaryCluster  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def cluster() -> Iterator[TemporaryCluster]:
    pg = start_cluster()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def path(cluster: TemporaryCluster, request: pytest.FixtureRequest) -> Iterator[LocalPath]:
    slug = "sec-" + re.sub(r"[^a-z0-9]", "-", request.module.__name__.rsplit(".", 1)[-1].lower())
    with open_local_path(cluster, slug[:40]) as local:
        yield local


@pytest.fixture
def db(path: LocalPath) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the superuser that installed s3vl."""
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
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


@pytest.fixture
def attacker(path: LocalPath) -> Iterator[Callable[..., psycopg.Connection]]:
    """`attacker("s3vl_writer", ...)`: a connection logged in as a new role holding the given
    roles and nothing else; every such role and what it owns is dropped after the test."""
    made: list[tuple[str, psycopg.Connection]] = []

    def login(*granted: str) -> psycopg.Connection:
        name = f"attacker_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(path.dsn, autocommit=True) as admin:
            admin.execute(f'CREATE ROLE "{name}" LOGIN')
            for role in granted:
                admin.execute(f'GRANT "{role}" TO "{name}"')
        conn = psycopg.connect(path.cluster.dsn(path.dbname, user=name), autocommit=True)
        made.append((name, conn))
        return conn

    yield login
    with psycopg.connect(path.dsn, autocommit=True) as admin:
        for name, conn in made:
            conn.close()
            admin.execute(f'DROP OWNED BY "{name}" CASCADE')
            admin.execute(f'DROP ROLE "{name}"')
