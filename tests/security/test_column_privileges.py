"""Section 3 of issue 9: a role exports through s3vl only the columns it may read.

A writer holding TRIGGER on a table (but not SELECT on its `ssn` column) must not be able to
sync that column into an index, where every reader could get it back with get_vectors; nor
read it through stale_keys or reconcile. The privilege checked is the calling role's (SET ROLE
included), not the login's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.support.local_path import LocalPath

pytestmark = pytest.mark.slow


@pytest.fixture
def people(db: psycopg.Connection) -> Iterator[None]:
    db.execute("CREATE TABLE people (id text PRIMARY KEY, emb real[], name text, ssn text)")
    db.execute(
        "INSERT INTO people VALUES ('p1', '{1,2,3,4}', 'Ann', '078-05-1120'),"
        " ('p2', '{4,3,2,1}', 'Bob', '219-09-9999')"
    )
    yield
    db.execute("DROP TABLE people")


def role_of(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT current_user").fetchone()[0]


def refused(conn: psycopg.Connection, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql).fetchall()
    return caught.value


def nothing_synced(db: psycopg.Connection, path: LocalPath) -> None:
    assert db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM s3vl.outbox").fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'people'::regclass AND NOT tgisinternal"
    ).fetchone() == (0,)
    assert path.key_set() == set()


@pytest.mark.parametrize("backfill", [True, False])
def test_trigger_privilege_alone_does_not_export_a_column_the_role_cannot_read(
    db: psycopg.Connection,
    path: LocalPath,
    people: None,
    attacker: Callable[..., psycopg.Connection],
    backfill: bool,
) -> None:
    writer = attacker("s3vl_writer")
    db.execute(f'GRANT TRIGGER, INSERT ON people TO "{role_of(writer)}"')
    db.execute(f'GRANT SELECT (id, emb, name) ON people TO "{role_of(writer)}"')
    error = refused(
        writer,
        "SELECT s3vl.sync_table('people', 'id', 'emb', 'items', ARRAY['name', 'ssn'],"
        f" backfill => {backfill})",
    )
    assert error.sqlstate == "42501"
    assert "may not read column ssn of table public.people" in error.diag.message_primary
    assert "GRANT SELECT (ssn) ON public.people" in error.diag.message_hint
    nothing_synced(db, path)


def test_the_columns_the_role_may_read_sync_and_reach_the_index(
    db: psycopg.Connection,
    path: LocalPath,
    people: None,
    attacker: Callable[..., psycopg.Connection],
) -> None:
    writer = attacker("s3vl_writer")
    db.execute(f'GRANT TRIGGER ON people TO "{role_of(writer)}"')
    db.execute(f'GRANT SELECT (id, emb, name) ON people TO "{role_of(writer)}"')
    assert writer.execute(
        "SELECT s3vl.sync_table('people', 'id', 'emb', 'items', ARRAY['name'])"
    ).fetchone() == (2,)
    writer.execute("SELECT * FROM s3vl.flush('items')")
    assert {key: meta for key, (_, meta) in path.vectors().items()} == {
        "p1": {"name": "Ann"}, "p2": {"name": "Bob"},
    }  # fmt: skip


def test_without_trigger_privilege_sync_is_refused_for_the_calling_role(
    db: psycopg.Connection,
    path: LocalPath,
    people: None,
    attacker: Callable[..., psycopg.Connection],
) -> None:
    # The login may put triggers on the table; the role it switched to may not.
    login = attacker("s3vl_writer")
    db.execute(f'GRANT TRIGGER, SELECT ON people TO "{role_of(login)}"')
    db.execute("DROP ROLE IF EXISTS sec_lesser")
    db.execute("CREATE ROLE sec_lesser IN ROLE s3vl_writer")
    db.execute(f'GRANT sec_lesser TO "{role_of(login)}"')
    db.execute("GRANT SELECT ON people TO sec_lesser")
    try:
        login.execute("SET ROLE sec_lesser")
        error = refused(login, "SELECT s3vl.sync_table('people', 'id', 'emb', 'items')")
        assert error.sqlstate == "42501"
        assert (
            "role sec_lesser may not put triggers on table public.people"
            in error.diag.message_primary
        )
        nothing_synced(db, path)
    finally:
        login.execute("RESET ROLE")
        db.execute("DROP OWNED BY sec_lesser")
        db.execute("DROP ROLE sec_lesser")


def test_a_column_the_role_switched_to_may_not_read_is_refused(
    db: psycopg.Connection,
    path: LocalPath,
    people: None,
    attacker: Callable[..., psycopg.Connection],
) -> None:
    # The login may read every column; the role it switched to may not read ssn.
    login = attacker("s3vl_writer")
    db.execute(f'GRANT TRIGGER, SELECT ON people TO "{role_of(login)}"')
    db.execute("DROP ROLE IF EXISTS sec_narrow")
    db.execute("CREATE ROLE sec_narrow IN ROLE s3vl_writer")
    db.execute(f'GRANT sec_narrow TO "{role_of(login)}"')
    db.execute("GRANT TRIGGER, SELECT (id, emb, name) ON people TO sec_narrow")
    try:
        login.execute("SET ROLE sec_narrow")
        error = refused(
            login, "SELECT s3vl.sync_table('people', 'id', 'emb', 'items', ARRAY['name', 'ssn'])"
        )
        assert error.sqlstate == "42501"
        assert (
            "role sec_narrow may not read column ssn of table public.people"
            in error.diag.message_primary
        )
        nothing_synced(db, path)
        # Nor read it back through stale_keys once someone who may read it synced the table.
        db.execute("SELECT s3vl.sync_table('people', 'id', 'emb', 'items', ARRAY['name', 'ssn'])")
        error = refused(login, "SELECT * FROM s3vl.stale_keys('people', 'items')")
        assert error.sqlstate == "42501"
        assert "role sec_narrow may not read column ssn" in error.diag.message_primary
    finally:
        login.execute("RESET ROLE")
        db.execute(
            "SELECT s3vl.unsync_table(source_table, 'items') FROM s3vl.sync_source"
            " WHERE source_table = 'people'::regclass"
        )
        db.execute("DROP OWNED BY sec_narrow")
        db.execute("DROP ROLE sec_narrow")


@pytest.mark.parametrize(
    "call",
    [
        "SELECT * FROM s3vl.stale_keys('people', 'items')",
        "SELECT * FROM s3vl.reconcile('people', 'items')",
        "SELECT * FROM s3vl.reconcile('people', 'items', repair => true)",
    ],
)
def test_stale_keys_and_reconcile_need_select_on_every_synced_column(
    db: psycopg.Connection,
    path: LocalPath,
    people: None,
    attacker: Callable[..., psycopg.Connection],
    call: str,
) -> None:
    db.execute("SELECT s3vl.sync_table('people', 'id', 'emb', 'items', ARRAY['name', 'ssn'])")
    writer = attacker("s3vl_writer")
    db.execute(f'GRANT SELECT (id, emb, name) ON people TO "{role_of(writer)}"')
    pending = db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone()
    error = refused(writer, call)
    assert error.sqlstate == "42501"
    assert "may not read column ssn" in error.diag.message_primary
    assert (
        db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone() == pending
    )
    assert path.key_set() == set()


def test_unsync_needs_the_tables_owner(
    db: psycopg.Connection, people: None, attacker: Callable[..., psycopg.Connection]
) -> None:
    db.execute("SELECT s3vl.sync_table('people', 'id', 'emb', 'items')")
    writer = attacker("s3vl_writer")
    db.execute(f'GRANT TRIGGER, SELECT ON people TO "{role_of(writer)}"')
    error = refused(writer, "SELECT s3vl.unsync_table('people', 'items')")
    assert (
        error.sqlstate == "42501"
        and "does not own table public.people" in error.diag.message_primary
    )
    # Nor can it forget the sync behind the trigger's back (the trigger would then fail).
    source = db.execute("SELECT id FROM s3vl.sync_source").fetchone()[0]
    error = refused(writer, f"SELECT s3vl._forget_sync_source({source})")
    assert error.sqlstate == "55000"
    assert db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone() == (1,)
