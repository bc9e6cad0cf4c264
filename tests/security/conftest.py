"""The attack tests: real roles against the real local path (PostgreSQL with compat and s3vl,
the Lambda Invoke endpoint with the real bridge, the local S3 Vectors service).

The fixtures are the write and sync tests' (tests.support.local_path): one
cluster for the session, one local path and database per module, indexes emptied and sync
state forgotten before each test. `attacker` makes a fresh login role for one test;
`reader` and `writer` are such roles holding s3vl_reader and s3vl_writer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.support.local_path import LocalPath, clean, db, path, spy
from tests.support.postgres import cluster

__all__ = ["clean", "cluster", "db", "path", "spy"]


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


@pytest.fixture
def reader(attacker: Callable[..., psycopg.Connection]) -> psycopg.Connection:
    return attacker("s3vl_reader")


@pytest.fixture
def writer(attacker: Callable[..., psycopg.Connection]) -> psycopg.Connection:
    return attacker("s3vl_writer")
