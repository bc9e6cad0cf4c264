"""s3vl.sync_table, s3vl.flush, s3vl.stale_keys and s3vl.reconcile on a real PostgreSQL, with
the index read back through boto3 from the local service."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator

import psycopg
import psycopg.sql
import pytest

from tests.support.float32 import (
    EXTREME_FLOAT32_VIA_JSONB,
    float32_bits,
    real_row,
)
from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow

_tables = itertools.count()


@pytest.fixture
def docs(db: psycopg.Connection) -> Iterator[str]:
    """A table synced with index `items`: key id, embedding emb, metadata title and lang."""
    name = f"docs_{next(_tables)}"
    db.execute(f"CREATE TABLE {name} (id text PRIMARY KEY, emb real[], title text, lang text)")
    db.execute("SELECT s3vl.sync_table(%s, 'id', 'emb', 'items', ARRAY['title', 'lang'])", (name,))
    yield name
    db.execute("SELECT s3vl.unsync_table(%s, 'items')", (name,))
    db.execute(f"DROP TABLE {name}")


def flush(db: psycopg.Connection, batch_size: int = 500) -> dict:
    cur = db.execute("SELECT * FROM s3vl.flush('items', %s)", (batch_size,))
    names = [c.name for c in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def table_as_index(db: psycopg.Connection, table: str) -> dict:
    """What the index should hold for the table, in the shape LocalPath.vectors() reads."""
    rows = db.execute(f"SELECT id, emb, title, lang FROM {table} WHERE emb IS NOT NULL").fetchall()
    return {
        key: (
            [float(x) for x in emb],
            {k: v for k, v in (("title", title), ("lang", lang)) if v is not None},
        )
        for key, emb, title, lang in rows
    }


def pending(db: psycopg.Connection) -> int:
    return db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone()[0]


@contextlib.contextmanager
def doubt_window(db: psycopg.Connection, seconds: int) -> Iterator[None]:
    """A send whose outcome is unknown holds its keys in doubt for the bridge function's own
    timeout (s3vl.config.function_timeout_seconds, 900 by default). The local function's
    abandoned invocations in these tests end at once, so a short window is true here."""
    arn, region, timeout = db.execute(
        "SELECT lambda_arn, aws_region, timeout_seconds FROM s3vl.config"
    ).fetchone()
    db.execute(
        "SELECT s3vl.configure(%s, %s, %s, validate => false, function_timeout_seconds => %s)",
        (arn, region, timeout, seconds),
    )
    try:
        yield
    finally:
        db.execute("SELECT s3vl.configure(%s, %s, %s, validate => false)", (arn, region, timeout))


def flush_until_done(db: psycopg.Connection, batch_size: int, within_s: float = 20) -> list[dict]:
    """Flush again until nothing is pending (keys in doubt wait for their window)."""
    deadline = time.monotonic() + within_s
    results = [flush(db, batch_size)]
    while results[-1]["pending_count"]:
        assert time.monotonic() < deadline, results
        time.sleep(0.1)
        results.append(flush(db, batch_size))
    return results


def test_after_inserts_updates_and_deletes_a_flush_makes_the_index_equal_the_table(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'd' || i, ARRAY[i, 1, 0.5, -1]::real[], 'title ' || i,"
        " CASE WHEN i % 2 = 0 THEN 'en' END FROM generate_series(1, 30) AS i"
    )
    db.execute(f"UPDATE {docs} SET emb = ARRAY[9, 9, 9, 9] WHERE id IN ('d1', 'd2')")
    db.execute(f"UPDATE {docs} SET title = 'renamed' WHERE id = 'd3'")
    db.execute(f"UPDATE {docs} SET id = 'd4-new' WHERE id = 'd4'")
    db.execute(f"DELETE FROM {docs} WHERE id IN ('d5', 'd6')")
    db.execute(f"UPDATE {docs} SET emb = NULL WHERE id = 'd7'")  # no embedding: not indexed
    result = flush(db)
    assert result["failed_count"] == 0 and result["pending_count"] == 0
    assert path.vectors() == table_as_index(db, docs)


def test_extreme_float32_values_sync_exactly_whatever_the_session_prints(
    db: psycopg.Connection, path: LocalPath
) -> None:
    # At extra_float_digits 0 PostgreSQL prints 6 digits: the backfill (sync_table), the
    # trigger, stale_keys and reconcile must read the float32 values as they are all the same.
    db.execute("SET extra_float_digits = 0")
    db.execute("CREATE TABLE edges (id text PRIMARY KEY, emb real[])")
    rows = [real_row(row) for row in EXTREME_FLOAT32_VIA_JSONB]
    try:
        # Half backfilled, half captured: each half has a -0 (the rows' second and fourth).
        half = len(rows) // 2
        for i, row in enumerate(rows[:half]):
            db.execute("INSERT INTO edges VALUES (%s, %s::real[])", (f"e{i}", row))
        db.execute("SELECT s3vl.sync_table('edges', 'id', 'emb', 'items')")
        for i, row in enumerate(rows[half:], start=half):
            db.execute("INSERT INTO edges VALUES (%s, %s::real[])", (f"e{i}", row))
        assert flush(db)["pending_count"] == 0
        keys = [f"e{i}" for i in range(len(rows))]
        stored = path.get("items", keys)
        # A real[] column is read as it is stored, backfilled or captured: bit for bit, -0 too.
        assert float32_bits([stored[k][0] for k in keys]) == float32_bits(EXTREME_FLOAT32_VIA_JSONB)
        assert db.execute("SELECT * FROM s3vl.stale_keys('edges', 'items')").fetchall() == []
        assert db.execute("SELECT * FROM s3vl.reconcile('edges', 'items')").fetchall() == []
        # A vector that differs from its row past the sixth digit (0.33333337 for 0.33333334)
        # is stale, though both would print as 0.333333.
        nudged = [0.33333337, *stored["e2"][0][1:]]
        path.put("items", [{"key": "e2", "data": {"float32": nudged}}])
        assert db.execute("SELECT * FROM s3vl.reconcile('edges', 'items')").fetchall() == [
            ("e2", "stale", False)
        ]
    finally:
        db.execute("SELECT s3vl.unsync_table('edges', 'items')")
        db.execute("DROP TABLE edges")


def test_repeated_changes_of_one_key_are_sent_once_with_the_latest_value(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    db.execute(f"INSERT INTO {docs} VALUES ('k', ARRAY[1, 0, 0, 0], 'v1', 'en')")
    for version in range(2, 6):
        db.execute(f"UPDATE {docs} SET emb[1] = %s, title = %s", (version, f"v{version}"))
    assert pending(db) == 5
    flush(db)
    assert spy.put_keys == ["k"]
    assert path.vectors() == {"k": ([5.0, 0.0, 0.0, 0.0], {"title": "v5", "lang": "en"})}


def test_an_update_of_unsynced_columns_records_nothing(db: psycopg.Connection, docs: str) -> None:
    db.execute(f"ALTER TABLE {docs} ADD COLUMN views integer DEFAULT 0")
    db.execute(f"INSERT INTO {docs} VALUES ('k', ARRAY[1, 0, 0, 0], 't', 'en')")
    before = pending(db)
    db.execute(f"UPDATE {docs} SET views = views + 1")
    assert pending(db) == before


def test_a_rolled_back_source_transaction_leaves_no_outbox_row(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    with psycopg.connect(path.dsn) as other:
        other.execute(f"INSERT INTO {docs} VALUES ('gone', ARRAY[1, 2, 3, 4], 't', 'en')")
        assert other.execute("SELECT count(*) FROM s3vl.outbox").fetchone()[0] == 1
        other.rollback()
    assert db.execute("SELECT count(*) FROM s3vl.outbox").fetchone()[0] == 0


def test_a_row_the_index_would_refuse_is_refused_before_anything_is_recorded(
    db: psycopg.Connection, docs: str
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute(f"INSERT INTO {docs} VALUES ('short', ARRAY[1, 2, 3], 't', 'en')")
    message = str(refused.value)
    assert docs in message and "'short'" in message and "emb" in message
    assert "dimension 4" in message
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        db.execute(f"INSERT INTO {docs} VALUES ('long', ARRAY[1, 2, 3, 4, 5], 't', 'en')")
    assert "'long'" in str(refused.value) and "has 5 elements" in str(refused.value)
    # Without the table's own NOT NULL (which a dropped primary key leaves on the column),
    # sync's check is what refuses a row without a key.
    db.execute(f"ALTER TABLE {docs} DROP CONSTRAINT {docs}_pkey, ALTER COLUMN id DROP NOT NULL")
    with pytest.raises(psycopg.errors.NotNullViolation) as no_key:
        db.execute(f"INSERT INTO {docs} VALUES (NULL, ARRAY[1, 2, 3, 4], 't', 'en')")
    assert no_key.value.diag.message_primary == (
        f's3vl sync of public.{docs}: column "id" is NULL, and it is the key in index "items"'
    )
    assert db.execute(f"SELECT count(*) FROM {docs}").fetchone()[0] == 0
    assert pending(db) == 0


# Every row the index would refuse, and what sync says of it. A row of finite numbers inside the
# float32 range is checked as a real[], the rest as JSON (s3vl._row_change): the answer is the
# same either way (these messages are those of the JSON checks alone).
DIMENSION_HINT = "Pass embeddings of 4 elements, made by the index's model."
FINITE_HINT = "Every element must be a finite number."
NOT_FINITE = "contains NULL, NaN, infinite or non-numeric elements"
REFUSED_ROWS = [
    ("a short row", "'k'", "ARRAY[1, 2, 3]", "'t'",
     "its data (column emb) has 3 elements but index items has dimension 4", DIMENSION_HINT),
    ("all zeros, -0 too", "'k'", "ARRAY[0, '-0', 0, 0]", "'t'",
     "its data (column emb) is all zeros, which has no direction for a cosine index",
     "Leave the row out, or give it a real embedding."),
    ("NaN", "'k'", "'{1,NaN,1,1}'", "'t'", f"its data (column emb) {NOT_FINITE}", FINITE_HINT),
    ("-Infinity", "'k'", "'{1,1,-Infinity,1}'", "'t'", f"its data (column emb) {NOT_FINITE}",
     FINITE_HINT),
    ("a NULL element", "'k'", "'{1,NULL,1,1}'", "'t'", f"its data (column emb) {NOT_FINITE}",
     FINITE_HINT),
    ("two dimensions", "'k'", "'{{1,2},{3,4}}'", "'t'",
     "its data (column emb) has 2 elements but index items has dimension 4", DIMENSION_HINT),
    ("no elements", "'k'", "'{}'", "'t'",
     "its data (column emb) is NULL or not an array of numbers",
     "Pass the embedding as an array of numbers, one per dimension."),
    # real prints its largest value as a decimal above it, which JSON checks hold out of range
    ("the largest float32", "'k'", "'{1,3.4028235e+38,1,1}'", "'t'",
     "its data (column emb) holds a value outside the float32 range",
     "S3 Vectors stores float32; scale the embedding into range."),
    ("over 4,096 elements", "'k'", "array_fill(1, ARRAY[4097])", "'t'",
     "its data (column emb) has 4097 elements; S3 Vectors allows at most 4096",
     "Pass an embedding of the index's dimension."),
    ("a long key", "repeat('k', 1025)", "ARRAY[1, 2, 3, 4]", "'t'",
     "its key (columns title, lang) is 1025 characters long; keys are 1 to 1024 characters",
     "Shorten the key, or hash long identifiers into a key."),
    ("large metadata", "'k'", "ARRAY[1, 2, 3, 4]", "repeat('t', 41000)",
     "its metadata (columns title, lang) is 41024 bytes; S3 Vectors allows 40960 per vector",
     "Keep large text out of metadata: store it in a table and keep its id in metadata."),
]  # fmt: skip


# How the row reaches the checks: a real[] column's as real[] (s3vl._read_columns), whether the
# trigger captured it or sync_table's backfill read it; a double precision[] column's as JSON.
READINGS = [("real[]", "captured"), ("real[]", "backfilled"), ("double precision[]", "captured")]


@pytest.mark.parametrize(("column", "reading"), READINGS, ids=[" ".join(r) for r in READINGS])
@pytest.mark.parametrize(
    ("key", "emb", "title", "problem", "hint"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSED_ROWS],
)
def test_each_row_the_index_would_refuse_is_refused_naming_its_problem(
    db: psycopg.Connection,
    column: str,
    reading: str,
    key: str,
    emb: str,
    title: str,
    problem: str,
    hint: str,
) -> None:
    table = f"refused_{next(_tables)}"
    db.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, emb {column}, title text, lang text)")
    sync = f"SELECT s3vl.sync_table('{table}', 'id', 'emb', 'items', ARRAY['title', 'lang'])"
    insert = f"INSERT INTO {table} VALUES ({key}, {emb}::{column}, {title}, 'en')"
    try:
        if reading == "backfilled":
            db.execute(insert)
        else:
            db.execute(sync)
        with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
            db.execute(sync if reading == "backfilled" else insert)
        quoted = "'" + db.execute(f"SELECT {key}").fetchone()[0] + "'"
        assert refused.value.diag.message_primary == (
            f"s3vl sync of public.{table}: the row with key {quoted} cannot go to index"
            f' "items": {problem}'
        )
        assert refused.value.diag.message_hint == hint
        assert pending(db) == 0
    finally:
        if reading == "captured":
            db.execute("SELECT s3vl.unsync_table(%s, 'items')", (table,))
        db.execute(f"DROP TABLE {table}")


def test_truncate_records_a_delete_for_every_row(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 't' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 5) i"
    )
    flush(db)
    assert path.key_set() == {f"t{i}" for i in range(1, 6)}
    db.execute(f"TRUNCATE {docs}")
    flush(db)
    assert path.key_set() == set()


def test_the_lambda_endpoint_stopped_during_a_flush_marks_nothing_done_and_the_next_flush_completes(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'x' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 20) i"
    )
    path.function.stop()
    try:
        with doubt_window(db, 1):
            result = flush(db, batch_size=5)
    finally:
        path.function.start()  # same port: the database's endpoint setting stays right
    assert result["put_count"] == 0 and result["failed_count"] == 5
    assert result["pending_count"] == 20
    assert "invoke" in result["last_error"].lower()
    assert (
        db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NOT NULL").fetchone()[0] == 0
    )
    failed = db.execute(
        "SELECT attempts, last_error IS NOT NULL FROM s3vl.outbox WHERE attempts > 0"
    ).fetchall()
    assert failed == [(1, True)] * 5
    assert path.key_set() == set()

    # The failed keys wait for their doubt window (the connection failed: unknown outcome).
    results = flush_until_done(db, batch_size=5)
    assert sum(r["put_count"] for r in results) == 20
    assert path.vectors() == table_as_index(db, docs)


def test_a_batch_that_s3_vectors_refuses_stays_pending_with_its_error_and_attempt_count(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    from devstack.s3vectors import faults

    db.execute(
        f"INSERT INTO {docs} SELECT 'f' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 9) i"
    )
    faults.inject("PutVectors", code="ServiceUnavailableException", status=503, skip=1)
    try:
        with doubt_window(db, 1):
            result = flush(db, batch_size=3)
    finally:
        faults.clear()
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (3, 3, 6)
    rows = db.execute(
        "SELECT key, done_at IS NOT NULL, attempts, last_error FROM s3vl.outbox ORDER BY id"
    ).fetchall()
    assert [r[1] for r in rows] == [True] * 3 + [False] * 6
    assert [r[2] for r in rows] == [1] * 6 + [0] * 3
    assert all("ServiceUnavailable" in r[3] for r in rows[3:6])
    assert path.key_set() == {"f1", "f2", "f3"}
    status = db.execute("SELECT pending_count, failed_count, max_attempts FROM s3vl.sync_status()")
    assert status.fetchone() == (6, 3, 1)

    flush_until_done(db, batch_size=3)  # "unavailable" may still land: f4..f6 wait their window
    assert path.vectors() == table_as_index(db, docs)


class OverlapProbe:
    """Holds the first PutVectors at the service until a second one is in flight (or 30 s
    pass), and records the most PutVectors in flight at once. One flush sends its batches one
    after another, and a batch under 500 is one PutVectors, so with small batches two in flight
    means two flushes were sending at the same time."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._second_arrived = threading.Event()

    def __enter__(self) -> OverlapProbe:
        from devstack.s3vectors import hooks

        probe = self

        def put_vectors(proceed):  # type: ignore[no-untyped-def]
            with probe._lock:
                probe.in_flight += 1
                probe.most_in_flight = max(probe.most_in_flight, probe.in_flight)
                first = probe.in_flight == 1 and not probe._second_arrived.is_set()
                if probe.in_flight >= 2:
                    probe._second_arrived.set()
            try:
                if first:
                    probe._second_arrived.wait(timeout=30)
                return proceed()
            finally:
                with probe._lock:
                    probe.in_flight -= 1

        self._hook = hooks.around("PutVectors", put_vectors)
        self._hook.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._hook.__exit__(None, None, None)


def test_two_concurrent_flushes_never_send_a_change_twice(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'c' || i, ARRAY[i, 2, 2, 2] FROM generate_series(1, 300) i"
    )
    db.execute(f"UPDATE {docs} SET lang = 'fr' WHERE id LIKE 'c1%'")  # a second change of some keys
    start = threading.Barrier(2)
    sent: dict[int, int] = {}
    errors: list[BaseException] = []

    def flusher(n: int) -> None:
        try:
            with psycopg.connect(path.dsn, autocommit=True) as conn:
                start.wait()
                total = 0
                for _ in range(200):  # again while the other flush held keys this one passed
                    row = conn.execute(
                        "SELECT put_count, pending_count FROM s3vl.flush('items', 7)"
                    )
                    puts, left = row.fetchone()
                    total += puts
                    if left == 0:
                        break
                sent[n] = total
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=flusher, args=(n,)) for n in range(2)]
    with OverlapProbe() as probe:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert probe.most_in_flight == 2  # the two flushes really sent at the same time
    per_key = Counter(spy.put_keys)
    assert len(per_key) == 300
    assert max(per_key.values()) == 1, per_key.most_common(3)
    assert sent[0] + sent[1] == 300
    assert sent[0] > 0 and sent[1] > 0  # both took part
    assert pending(db) == 0
    assert path.vectors() == table_as_index(db, docs)


def test_stored_key_versions_show_which_rows_changed_since_the_last_flush(
    db: psycopg.Connection, docs: str
) -> None:
    db.execute(f"INSERT INTO {docs} VALUES ('a', ARRAY[1, 1, 1, 1]), ('b', ARRAY[2, 2, 2, 2])")
    stale = db.execute(f"SELECT key, written_version FROM s3vl.stale_keys('{docs}', 'items')")
    assert stale.fetchall() == [("a", None), ("b", None)]
    flush(db)
    assert db.execute(f"SELECT * FROM s3vl.stale_keys('{docs}', 'items')").fetchall() == []
    db.execute(f"UPDATE {docs} SET emb = ARRAY[3, 3, 3, 3] WHERE id = 'b'")
    stale = db.execute(f"SELECT key, written_version FROM s3vl.stale_keys('{docs}', 'items')")
    assert stale.fetchall() == [("b", 1)]
    flush(db)
    versions = db.execute("SELECT key, version FROM s3vl.key_version ORDER BY key").fetchall()
    assert versions == [("a", 1), ("b", 2)]


def test_reconcile_finds_planted_orphans_missing_and_stale_keys_and_repairs_them(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'r' || i, ARRAY[i, 1, 1, 1], 'title', 'en'"
        " FROM generate_series(1, 6) i"
    )
    flush(db)
    assert db.execute(f"SELECT * FROM s3vl.reconcile('{docs}', 'items')").fetchall() == []

    # Behind s3vl's back: an orphan, a lost vector and a stale one.
    path.put("items", [{"key": "orphan", "data": {"float32": [1.0, 2.0, 3.0, 4.0]}}])
    path.client.delete_vectors(vectorBucketName=path.bucket, indexName="items", keys=["r2"])
    path.put("items", [{"key": "r3", "data": {"float32": [7.0, 7.0, 7.0, 7.0]},
                        "metadata": {"title": "title", "lang": "en"}}])  # fmt: skip
    path.put("items", [{"key": "r4", "data": {"float32": [4.0, 1.0, 1.0, 1.0]},
                        "metadata": {"title": "old title", "lang": "en"}}])  # fmt: skip

    report = db.execute(f"SELECT key, problem, repaired FROM s3vl.reconcile('{docs}', 'items')")
    assert sorted(report.fetchall()) == [
        ("orphan", "orphan", False),
        ("r2", "missing", False),
        ("r3", "stale", False),
        ("r4", "stale", False),
    ]
    assert "orphan" in path.key_set()  # a report changes nothing

    repaired = db.execute(
        f"SELECT key, problem, repaired FROM s3vl.reconcile('{docs}', 'items', repair => true)"
    ).fetchall()
    assert all(row[2] for row in repaired) and len(repaired) == 4
    assert path.vectors() == table_as_index(db, docs)
    assert db.execute(f"SELECT * FROM s3vl.reconcile('{docs}', 'items')").fetchall() == []


def test_sync_table_arguments_are_checked(db: psycopg.Connection, docs: str) -> None:
    cases = [
        (f"SELECT s3vl.sync_table('{docs}', 'nope', 'emb', 'items')", "key_column"),
        (f"SELECT s3vl.sync_table('{docs}', 'id', 'title', 'items')", "embedding_column"),
        (f"SELECT s3vl.sync_table('{docs}', 'id', 'emb', 'items', ARRAY['x'])", "metadata_columns"),
        (f"SELECT s3vl.sync_table('{docs}', 'id', 'emb', 'unknown-index')", "unknown-index"),
        (f"SELECT s3vl.sync_table('{docs}', 'id', 'emb', 'items')", "already synced"),
        ("SELECT s3vl.sync_table(NULL, 'id', 'emb', 'items')", '"table"'),
        ("SELECT s3vl.sync_table('pg_tables', 'tablename', 'emb', 'items')", '"table"'),
        ("SELECT * FROM s3vl.flush('items', 0)", "batch_size"),
        ("SELECT * FROM s3vl.flush('items', NULL)", "batch_size"),
        ("SELECT * FROM s3vl.flush(NULL)", "index_name"),
        ("SELECT s3vl.purge_outbox(NULL)", '"keep"'),
        ("SELECT * FROM s3vl.reconcile('pg_class', 'items')", "not synced"),
        ("SELECT * FROM s3vl.stale_keys('pg_class', 'items')", "not synced"),
        ("SELECT s3vl.unsync_table('pg_class', 'items')", "not synced"),
    ]
    before = db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone()
    for sql, named in cases:
        with pytest.raises(psycopg.Error) as failure:
            db.execute(sql)
        error = failure.value
        assert error.sqlstate in ("22023", "42704", "42710"), (sql, error)
        assert named in error.diag.message_primary, sql
        assert error.diag.message_detail and error.diag.message_hint, sql
    assert db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone() == before
    assert pending(db) == 0


def test_syncing_a_table_that_has_rows_queues_them_so_the_first_flush_loads_them(
    db: psycopg.Connection, path: LocalPath
) -> None:
    db.execute("CREATE TABLE filled (id text PRIMARY KEY, emb real[], title text)")
    try:
        db.execute(
            "INSERT INTO filled SELECT 'b' || i, ARRAY[i, 3, 3, 3], 't' || i"
            " FROM generate_series(1, 12) i"
        )
        queued = db.execute(
            "SELECT s3vl.sync_table('filled', 'id', 'emb', 'items', ARRAY['title'])"
        ).fetchone()[0]
        assert queued == 12
        assert flush(db)["put_count"] == 12
        assert path.vectors()["b12"] == ([12.0, 3.0, 3.0, 3.0], {"title": "t12"})
        db.execute("SELECT s3vl.unsync_table('filled', 'items')")
    finally:
        db.execute("DROP TABLE filled")


def test_the_lambda_endpoint_stopping_in_the_middle_of_a_flush_marks_done_only_what_s3_vectors_took(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'm' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 20) i"
    )
    function = path.function.function
    assert function is not None
    handle = function.invoke
    invocations: list[int] = []

    def stop_the_endpoint_at_the_second_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        invocations.append(1)
        if len(invocations) == 1:
            return handle(*args, **kwargs)
        # The first batch was written and answered; the endpoint goes away under the second,
        # which never reaches the handler. (start() below brings a fresh, unpatched function.)
        stopper = threading.Thread(target=path.function.stop)
        stopper.start()
        stopper.join()
        raise ConnectionAbortedError("the Lambda endpoint was stopped")

    function.invoke = stop_the_endpoint_at_the_second_batch  # type: ignore[method-assign]
    try:
        with doubt_window(db, 1):
            result = flush(db, batch_size=5)
    finally:
        path.function.start()
    assert len(invocations) == 2
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (5, 5, 15)
    done = db.execute("SELECT key FROM s3vl.outbox WHERE done_at IS NOT NULL").fetchall()
    assert sorted(key for (key,) in done) == sorted(spy.put_keys) == ["m1", "m2", "m3", "m4", "m5"]
    assert path.key_set() == {"m1", "m2", "m3", "m4", "m5"}

    flush_until_done(db, batch_size=5)
    assert path.vectors() == table_as_index(db, docs)


def test_a_table_and_columns_with_quotes_dots_spaces_and_mixed_case_sync_like_any_other(
    db: psycopg.Connection, path: LocalPath
) -> None:
    schema = psycopg.sql.Identifier('Odd "Schema"').as_string(db)
    name = psycopg.sql.Identifier('Odd "Schema"', 'My "docs". v2').as_string(db)
    db.execute(f"CREATE SCHEMA {schema}")
    db.execute(
        f"""CREATE TABLE {name} ("Key Col" text PRIMARY KEY, "e.mb" real[], "Ti'tle" text)"""
    )
    try:
        db.execute(f"INSERT INTO {name} VALUES ('before', ARRAY[1, 2, 3, 4], 'was there')")
        queued = db.execute(
            """SELECT s3vl.sync_table(%s, 'Key Col', 'e.mb', 'items', ARRAY['Ti''tle'])""",
            (name,),
        ).fetchone()[0]
        assert queued == 1
        db.execute(f"""INSERT INTO {name} VALUES ('o''k', ARRAY[4, 3, 2, 1], 'quote')""")
        db.execute(f"""UPDATE {name} SET "Key Col" = 'moved' WHERE "Key Col" = 'before'""")
        assert flush(db)["pending_count"] == 0
        assert path.vectors() == {
            "moved": ([1.0, 2.0, 3.0, 4.0], {"Ti'tle": "was there"}),
            "o'k": ([4.0, 3.0, 2.0, 1.0], {"Ti'tle": "quote"}),
        }
        assert db.execute("SELECT * FROM s3vl.stale_keys(%s, 'items')", (name,)).fetchall() == []
        assert db.execute("SELECT * FROM s3vl.reconcile(%s, 'items')", (name,)).fetchall() == []
        db.execute(f"TRUNCATE {name}")
        flush(db)
        assert path.key_set() == set()
        db.execute("SELECT s3vl.unsync_table(%s, 'items')", (name,))
        db.execute(f"INSERT INTO {name} VALUES ('unsynced', ARRAY[1, 1, 1, 1], 'x')")
        assert pending(db) == 0
    finally:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_table_can_be_unsynced_after_its_index_was_unregistered_or_a_column_dropped(
    db: psycopg.Connection, path: LocalPath
) -> None:
    arn = db.execute("SELECT s3vl.resolve_index_arn('items')").fetchone()[0]
    db.execute("CREATE TABLE leaving (id text PRIMARY KEY, emb real[], title text)")
    try:
        db.execute("SELECT s3vl.sync_table('leaving', 'id', 'emb', 'items', ARRAY['title'])")
        db.execute("ALTER TABLE leaving DROP COLUMN title")
        db.execute("SELECT s3vl.unregister_index('items')")
        try:
            assert db.execute("SELECT s3vl.unsync_table('leaving', 'items')").fetchone() == (True,)
        finally:
            db.execute("SELECT s3vl.register_index('items', %s)", (arn,))
        triggers = db.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'leaving'::regclass"
            " AND NOT tgisinternal"
        ).fetchone()
        assert triggers == (0,)
        db.execute("INSERT INTO leaving VALUES ('free', ARRAY[1, 2, 3, 4])")
        assert pending(db) == 0
    finally:
        db.execute("DROP TABLE leaving")


def test_a_batch_whose_answer_is_lost_stays_pending_and_the_next_flush_sends_it_again(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    from devstack.s3vectors import hooks

    db.execute(
        f"INSERT INTO {docs} SELECT 'a' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 10) i"
    )

    def put_then_stop_the_endpoint(proceed):  # type: ignore[no-untyped-def]
        result = proceed()  # S3 Vectors took the batch ...
        stopper = threading.Thread(target=path.function.stop)  # ... its answer never arrives
        stopper.start()
        stopper.join()
        return result

    try:
        with hooks.around("PutVectors", put_then_stop_the_endpoint), doubt_window(db, 1):
            result = flush(db, batch_size=5)
    finally:
        path.function.start()
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (0, 5, 10)
    assert db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NOT NULL").fetchone() == (
        0,
    )
    assert path.key_set() == {f"a{i}" for i in range(1, 6)}  # written, but not confirmed

    flush_until_done(db, batch_size=5)  # at least once: a1..a5 go again after their window
    assert sorted(spy.put_keys) == sorted(
        [f"a{i}" for i in range(1, 6)] * 2 + [f"a{i}" for i in range(6, 11)]
    )
    assert path.vectors() == table_as_index(db, docs)
