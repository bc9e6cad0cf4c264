"""Who may write: s3vl_writer may put, delete, write through views, sync and flush;
s3vl_reader may read but none of those."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.local_path import LocalPath

pytestmark = pytest.mark.slow

WRITES = [
    "SELECT s3vl.put_vectors('items', ARRAY['p'], ARRAY[[1, 2, 3, 4]]::real[])",
    """SELECT s3vl.put_vectors('items', '[{"key": "p", "data": [1, 2, 3, 4]}]'::jsonb)""",
    "SELECT s3vl.delete_vectors('items', ARRAY['p'])",
    "SELECT s3vl.put_texts('items', ARRAY['p'], ARRAY['a thermos'])",
    "SELECT * FROM s3vl.flush('items')",
    "SELECT s3vl.sync_table('priv_docs', 'id', 'emb', 'items')",
    "SELECT * FROM s3vl.reconcile('priv_docs', 'items')",
    "INSERT INTO s3_vectors.items VALUES ('p', ARRAY[1, 2, 3, 4])",
    "UPDATE s3_vectors.items SET metadata = '{}' WHERE key = 'p'",
    "DELETE FROM s3_vectors.items WHERE key = 'p'",
    "SELECT s3vl.unsync_table('priv_docs', 'items')",
    "SELECT * FROM s3vl.stale_keys('priv_docs', 'items')",
    "SELECT * FROM s3vl.sync_status()",
    "SELECT s3vl.purge_outbox()",
    "SELECT * FROM s3vl.outbox",
    "SELECT * FROM s3vl.key_version",
    "SELECT * FROM s3vl.sync_source",
    "SELECT s3vl.create_index_view('items', 's3_vectors', 'other')",
]


@pytest.fixture
def roles(db: psycopg.Connection) -> Iterator[None]:
    db.execute("CREATE TABLE IF NOT EXISTS priv_docs (id text PRIMARY KEY, emb real[])")
    db.execute("SELECT s3vl.create_index_view('items')")
    for role in ("ws_reader", "ws_writer"):
        db.execute(f"DROP ROLE IF EXISTS {role}")
    db.execute("CREATE ROLE ws_reader IN ROLE s3vl_reader")
    db.execute("CREATE ROLE ws_writer IN ROLE s3vl_writer")
    db.execute("GRANT ALL ON priv_docs TO ws_writer, ws_reader")
    yield
    db.execute("RESET ROLE")
    db.execute("DROP TABLE priv_docs")
    db.execute("DROP OWNED BY ws_reader, ws_writer")
    db.execute("DROP ROLE ws_reader, ws_writer")


@pytest.mark.parametrize("statement", WRITES)
def test_a_reader_may_not_write_or_flush(
    db: psycopg.Connection, path: LocalPath, roles: None, statement: str
) -> None:
    db.execute("SET ROLE ws_reader")
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        db.execute(statement)
    db.execute("RESET ROLE")
    # PostgreSQL's own refusal of what the statement names, not a 42501 from inside a
    # function or trigger the reader got into.
    named = re.search(r"(?:s3vl|s3_vectors)\.(\w+)", statement)
    assert named is not None, statement
    assert re.fullmatch(
        rf"permission denied for (function|table|view) {named[1]}",
        refused.value.diag.message_primary or "",
    ), refused.value
    assert path.key_set() == set()


def test_a_reader_may_read_through_the_view_and_look_keys_up(
    db: psycopg.Connection, path: LocalPath, roles: None
) -> None:
    path.put("items", [{"key": "r", "data": {"float32": [1.0, 2.0, 3.0, 4.0]}}])
    db.execute("SET ROLE ws_reader")
    assert db.execute("SELECT key FROM s3_vectors.items").fetchall() == [("r",)]
    assert db.execute("SELECT key FROM s3_vectors.items('r')").fetchall() == [("r",)]


def test_a_writer_may_write_sync_and_flush(
    db: psycopg.Connection, path: LocalPath, roles: None
) -> None:
    db.execute("SET ROLE ws_writer")
    db.execute(WRITES[0])
    db.execute("INSERT INTO s3_vectors.items VALUES ('w', ARRAY[1, 2, 3, 4])")
    assert path.key_set() == {"p", "w"}
    db.execute(WRITES[2])
    db.execute("SELECT s3vl.sync_table('priv_docs', 'id', 'emb', 'items')")
    db.execute("INSERT INTO priv_docs VALUES ('synced', ARRAY[4, 3, 2, 1])")
    assert db.execute("SELECT put_count FROM s3vl.flush('items')").fetchone()[0] == 1
    assert path.key_set() == {"w", "synced"}


def test_a_role_that_may_only_insert_into_a_synced_table_still_records_its_changes(
    db: psycopg.Connection, path: LocalPath, roles: None
) -> None:
    db.execute("SELECT s3vl.sync_table('priv_docs', 'id', 'emb', 'items')")
    db.execute("DROP ROLE IF EXISTS ws_app")
    db.execute("CREATE ROLE ws_app")
    db.execute("GRANT INSERT ON priv_docs TO ws_app")
    try:
        db.execute("SET ROLE ws_app")
        db.execute("INSERT INTO priv_docs VALUES ('from-app', ARRAY[1, 1, 1, 2])")
        db.execute("RESET ROLE")
        assert db.execute("SELECT key FROM s3vl.outbox").fetchall() == [("from-app",)]
        db.execute("SET ROLE ws_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("SELECT count(*) FROM s3vl.outbox")
    finally:
        db.execute("RESET ROLE")
        db.execute("DROP OWNED BY ws_app")
        db.execute("DROP ROLE ws_app")
