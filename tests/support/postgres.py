"""Helpers for tests on a real PostgreSQL: start a cluster, make databases, install s3vl (and
the compat layer) the way a user does (psql -f), dump a schema, catch SQL errors.

`cluster` is the session's throwaway cluster: a conftest imports it by name, which registers it
for its folder (one cluster per folder that imports it, stopped at the end of the session)."""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devstack.postgres import PostgresUnavailableError, TemporaryCluster

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SQL = ROOT / "sql" / "install.sql"
UNINSTALL_SQL = ROOT / "sql" / "uninstall.sql"
COMPAT_SQL = ROOT / "sql" / "compat" / "aws_lambda.sql"

# Nothing listens on port 9 (discard) of 127.0.0.1: an invocation that should not have happened
# fails at once with "invoke API failed" instead of reaching anything.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
DEMO_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/demo-bucket/index/demo-index"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"


def start_cluster(**kwargs: Any) -> TemporaryCluster:
    """A started TemporaryCluster(**kwargs); a missing PostgreSQL fails the test (in CI a
    missing PostgreSQL is a failure, not a skip)."""
    try:
        return TemporaryCluster(**kwargs).start()
    except PostgresUnavailableError as exc:
        pytest.fail(f"PostgreSQL with plpython3u is needed for these tests: {exc}")


@pytest.fixture(scope="session")
def cluster() -> Iterator[TemporaryCluster]:
    """One throwaway cluster for the session (per folder whose conftest imports it)."""
    pg = start_cluster()
    try:
        yield pg
    finally:
        pg.stop()


def install_compat(cluster: TemporaryCluster, dbname: str) -> None:
    """The compat layer (plain PostgreSQL's aws_lambda) alone, with psql."""
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=dbname)


def install(cluster: TemporaryCluster, dbname: str, *, compat: bool = True) -> None:
    """Compat (plain PostgreSQL's aws_lambda) then s3vl, each with psql as a user would."""
    if compat and not COMPAT_SQL.is_file():
        pytest.fail(f"{COMPAT_SQL} is missing: the SQL tests need aws_lambda.invoke")
    for script in [COMPAT_SQL, INSTALL_SQL] if compat else [INSTALL_SQL]:
        result = cluster.psql("-q", "-f", str(script), dbname=dbname, check=False)
        if result.returncode != 0:
            pytest.fail(f"psql -f {script} failed in {dbname}:\n{result.stderr}")


def new_database(cluster: TemporaryCluster, hint: str) -> str:
    """A fresh database with a name derived from `hint`; returns its name."""
    name = "t_" + re.sub(r"[^a-z0-9_]", "_", hint.lower())[:50]
    cluster.psql("-q", "-c", f'DROP DATABASE IF EXISTS "{name}"')
    cluster.create_database(name)
    return name


def schema_dump(cluster: TemporaryCluster, dbname: str) -> str:
    """pg_dump of the s3vl schema's definitions (no data), comments and grants included."""
    result = subprocess.run(
        [str(cluster.pg_bin / "pg_dump"), "--schema-only", "--schema=s3vl", cluster.dsn(dbname)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    # Versions and the random \restrict key differ between runs; only the definitions matter.
    noise = ("-- Dumped", "\\restrict", "\\unrestrict")
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith(noise))


@contextlib.contextmanager
def rolled_back(dsn: str) -> Iterator[psycopg.Connection]:
    """A connection whose transaction is rolled back when the block ends."""
    with psycopg.connect(dsn) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


def sql_error(conn: psycopg.Connection, sql: str, params: object = None) -> psycopg.Error:
    """Run `sql` in a savepoint and return the error it raises (failing the test if none)."""
    try:
        with conn.transaction():
            conn.execute(sql, params).fetchall()
    except psycopg.Error as exc:
        return exc
    pytest.fail(f"expected an error from: {sql}")
