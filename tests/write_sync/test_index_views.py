"""Index views: the foreign data wrapper's usage through a view with INSTEAD OF triggers, and
key lookups answered by get_vectors."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.float32 import (
    EXTREME_FLOAT32_VIA_JSONB,
    as_numeric,
    float32_bits,
    real_row,
)
from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow


@pytest.fixture
def view(db: psycopg.Connection) -> str:
    created = db.execute(
        "SELECT s3vl.create_index_view('items', 's3_vectors', 'embeddings')"
    ).fetchone()[0]
    assert created == "s3_vectors.embeddings"
    return created


def test_insert_into_the_view_puts_vectors(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    inserted = db.execute(
        f"""INSERT INTO {view} (key, data, metadata) VALUES
            ('v1', ARRAY[0.1, 0.2, 0.3, 0.4], '{{"genre": "news"}}'),
            ('v2', ARRAY[1, 2, 3, 4], NULL)"""
    ).rowcount
    assert inserted == 2
    stored = path.vectors()
    assert stored["v1"][0] == pytest.approx([0.1, 0.2, 0.3, 0.4], rel=1e-6)
    assert stored["v1"][1] == {"genre": "news"}
    assert stored["v2"] == ([1.0, 2.0, 3.0, 4.0], {})


def test_floats_written_through_the_view_are_sent_exactly_whatever_the_session_prints(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    db.execute("SET extra_float_digits = 0")  # PostgreSQL would print 6 digits
    for i, row in enumerate(EXTREME_FLOAT32_VIA_JSONB):
        db.execute(
            f"INSERT INTO {view} (key, data) VALUES (%s, %s::real[])",
            (f"f{i}", real_row(row)),
        )
    keys = [f"f{i}" for i in range(len(EXTREME_FLOAT32_VIA_JSONB))]
    stored = path.get("items", keys)
    # The view sends through put_vectors' jsonb form: numeric has no negative zero.
    assert float32_bits([stored[k][0] for k in keys]) == float32_bits(
        as_numeric(EXTREME_FLOAT32_VIA_JSONB)
    )


def test_select_from_the_view_scans_the_index(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    path.put("items", [
        {"key": f"s{i}", "data": {"float32": [float(i), 1.0, 1.0, 1.0]}, "metadata": {"i": i}}
        for i in range(1, 4)
    ])  # fmt: skip
    rows = db.execute(f"SELECT key, data, metadata FROM {view} ORDER BY key").fetchall()
    assert rows == [
        ("s1", [1.0, 1.0, 1.0, 1.0], {"i": 1}),
        ("s2", [2.0, 1.0, 1.0, 1.0], {"i": 2}),
        ("s3", [3.0, 1.0, 1.0, 1.0], {"i": 3}),
    ]
    assert db.execute(f"SELECT data FROM {view} WHERE key = 's2'").fetchone()[0][0] == 2.0


def test_update_through_the_view_overwrites_and_a_changed_key_moves_the_vector(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    db.execute(f"INSERT INTO {view} VALUES ('u1', ARRAY[1, 1, 1, 1], '{{\"v\": 1}}')")
    db.execute(f"UPDATE {view} SET metadata = '{{\"v\": 2}}' WHERE key = 'u1'")
    assert path.vectors() == {"u1": ([1.0, 1.0, 1.0, 1.0], {"v": 2})}
    db.execute(f"UPDATE {view} SET key = 'u2' WHERE key = 'u1'")
    assert path.vectors() == {"u2": ([1.0, 1.0, 1.0, 1.0], {"v": 2})}


def test_delete_through_the_view_deletes_vectors(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    db.execute(f"INSERT INTO {view} VALUES ('x1', ARRAY[1, 2, 3, 4]), ('x2', ARRAY[4, 3, 2, 1])")
    assert db.execute(f"DELETE FROM {view} WHERE key = 'x1'").rowcount == 1
    assert path.key_set() == {"x2"}


def test_a_key_lookup_is_answered_by_get_vectors_without_a_scan(
    db: psycopg.Connection, path: LocalPath, view: str, spy: SpyOnWrites
) -> None:
    path.put("items", [
        {"key": f"l{i}", "data": {"float32": [float(i), 0.0, 0.0, 1.0]}} for i in range(1, 6)
    ])  # fmt: skip
    operations: list[str] = []
    from devstack.s3vectors import hooks

    def list_vectors(proceed):  # type: ignore[no-untyped-def]
        operations.append("ListVectors")
        return proceed()

    def get_vectors(proceed):  # type: ignore[no-untyped-def]
        operations.append("GetVectors")
        return proceed()

    with hooks.around("ListVectors", list_vectors), hooks.around("GetVectors", get_vectors):
        rows = db.execute(
            "SELECT key, data FROM s3_vectors.embeddings('l2', 'l4', 'missing')"
        ).fetchall()
    assert rows == [("l2", [2.0, 0.0, 0.0, 1.0]), ("l4", [4.0, 0.0, 0.0, 1.0])]
    assert operations == ["GetVectors"]


def test_a_row_without_data_is_refused_with_the_column_named(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute(f"INSERT INTO {view} (key) VALUES ('nodata')")
    assert '"data"' in str(refused.value) and refused.value.diag.message_hint
    assert path.key_set() == set()


def test_import_bucket_can_make_a_view_per_index(db: psycopg.Connection, path: LocalPath) -> None:
    rows = db.execute(
        "SELECT index_name, view_name::text FROM s3vl.import_bucket(%s, into_schema => 'imported')"
        " ORDER BY 1",
        (path.bucket,),
    ).fetchall()
    assert rows == [
        ("items", "imported.items"),
        ("notes", "imported.notes"),
        ("wide", "imported.wide"),
    ]
    db.execute("INSERT INTO imported.items VALUES ('via-import', ARRAY[1, 2, 3, 4])")
    assert path.key_set() == {"via-import"}


def test_an_insert_select_through_the_view_is_sent_in_batches_when_the_statement_ends(
    db: psycopg.Connection, path: LocalPath, view: str, spy: SpyOnWrites
) -> None:
    inserted = db.execute(
        f"INSERT INTO {view} SELECT 'b' || i, ARRAY[i, 1, 1, 1], jsonb_build_object('i', i)"
        " FROM generate_series(1, 1200) AS i"
    ).rowcount
    assert inserted == 1200
    # One invocation, its three PutVectors at once (in any order).
    assert sorted(len(call) for call in spy.puts) == [200, 500, 500]
    keys = {f"b{i}" for i in range(1, 1201)}
    assert path.key_set() == keys
    assert path.get("items", ["b777"])["b777"] == ([777.0, 1.0, 1.0, 1.0], {"i": 777})
    assert db.execute(f"DELETE FROM {view} WHERE key LIKE 'b1%'").rowcount == 312
    assert [len(call) for call in spy.deletes] == [312]
    assert path.key_set() == {key for key in keys if not key.startswith("b1")}


def test_one_bad_row_in_a_statement_through_the_view_writes_nothing(
    db: psycopg.Connection, path: LocalPath, view: str, spy: SpyOnWrites
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute(
            f"INSERT INTO {view} SELECT 'z' || i,"
            " CASE WHEN i = 900 THEN ARRAY[1, 2, 3] ELSE ARRAY[i, 1, 1, 1] END"
            " FROM generate_series(1, 1000) AS i"
        )
    assert "vectors[899].data" in str(refused.value) and "dimension 4" in str(refused.value)
    assert spy.puts == []
    assert path.key_set() == set()


def test_a_mixed_case_schema_works_and_hostile_schema_or_view_names_are_refused(
    db: psycopg.Connection, path: LocalPath
) -> None:
    created = db.execute("SELECT s3vl.create_index_view('items', 'MixedCase', 'Vecs')").fetchone()
    assert created == ('"MixedCase"."Vecs"',)
    try:
        db.execute("""INSERT INTO "MixedCase"."Vecs" VALUES ('m', ARRAY[1, 2, 3, 4])""")
        assert path.key_set() == {"m"}
        assert db.execute("""SELECT key FROM "MixedCase"."Vecs"('m')""").fetchall() == [("m",)]
    finally:
        db.execute('DROP SCHEMA "MixedCase" CASCADE')
    hostile = [
        ('x"; DROP SCHEMA s3vl CASCADE; --', None, "into_schema"),
        ("has space", None, "into_schema"),
        ("s3vl", None, "into_schema"),
        ("s3_vectors", "a.b", "view_name"),
        ("s3_vectors", "v'; DROP TABLE s3vl.config; --", "view_name"),
    ]
    for schema, view_name, argument in hostile:
        with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
            db.execute("SELECT s3vl.create_index_view('items', %s, %s)", (schema, view_name))
        assert f'"{argument}"' in refused.value.diag.message_primary, schema
        assert refused.value.diag.message_hint, schema
    made = db.execute(
        "SELECT count(*) FROM pg_namespace WHERE nspname IN ('has space', 'x\"; DROP SCHEMA s3vl"
        " CASCADE; --')"
    ).fetchone()
    assert made == (0,)
    assert db.execute("SELECT to_regclass('s3vl.config') IS NOT NULL").fetchone() == (True,)


def test_public_gets_nothing_on_an_index_view_or_its_key_lookup(
    db: psycopg.Connection, view: str
) -> None:
    grants = db.execute(
        """SELECT c.oid::regclass::text FROM pg_class AS c, aclexplode(c.relacl) AS a
           WHERE c.oid = %s::regclass AND a.grantee = 0
           UNION ALL
           SELECT p.oid::regprocedure::text
           FROM pg_proc AS p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
           WHERE p.pronamespace = 's3_vectors'::regnamespace AND a.grantee = 0""",
        (view,),
    ).fetchall()
    assert grants == []
    lookup = db.execute(
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 's3_vectors'::regnamespace"
    ).fetchone()
    assert lookup == (1,)  # the walk above saw the lookup function


def test_create_index_view_replaces_its_own_view_but_never_a_users_relation(
    db: psycopg.Connection, path: LocalPath, view: str
) -> None:
    again = db.execute("SELECT s3vl.create_index_view('items', 's3_vectors', 'embeddings')")
    assert again.fetchone() == (view,)
    db.execute(f"INSERT INTO {view} VALUES ('again', ARRAY[1, 2, 3, 4])")
    assert path.key_set() == {"again"}
    db.execute("CREATE TABLE s3_vectors.mine (key text, data real[], metadata jsonb)")
    db.execute("CREATE VIEW s3_vectors.theirs AS SELECT 1 AS key")
    try:
        for name in ("mine", "theirs"):
            with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
                db.execute("SELECT s3vl.create_index_view('items', 's3_vectors', %s)", (name,))
            assert '"view_name"' in refused.value.diag.message_primary
            assert refused.value.diag.message_hint
        assert db.execute("SELECT key FROM s3_vectors.theirs").fetchall() == [(1,)]
    finally:
        db.execute("DROP TABLE s3_vectors.mine")
        db.execute("DROP VIEW s3_vectors.theirs")
