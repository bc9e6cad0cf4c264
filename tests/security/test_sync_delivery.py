"""Issue 9, sections 2 (second half), 4 and 5: s3vl.flush through the real local path.

- A change is done only when the bridge's success answer names its key: a forged answer, or
  an older bridge that does not name what it wrote, leaves the changes pending.
- A send whose outcome is unknown (timed out, connection lost, cancelled, S3 Vectors
  unavailable) holds its keys in doubt until the abandoned invocation must have ended; then the
  key's latest change goes again, so a late write of an older value cannot win.
- A change that can never succeed is dead after max_attempts failed sends, alone (the good
  changes of its batch go out), and no longer holds up the queue; retry_dead and discard_dead
  deal with it; one flush call is bounded.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from devstack.s3vectors import faults, hooks
from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow

_tables = itertools.count()
LONG_TITLE = "x" * 3000  # filterable metadata over 2 KB: the bridge refuses the vector


@pytest.fixture
def docs(db: psycopg.Connection) -> Iterator[str]:
    """A table synced with index `items` (dimension 4): key id, embedding emb, metadata title."""
    name = f"sd_docs_{next(_tables)}"
    db.execute(f"CREATE TABLE {name} (id text PRIMARY KEY, emb real[], title text)")
    db.execute(f"GRANT ALL ON {name} TO PUBLIC")
    db.execute("SELECT s3vl.sync_table(%s, 'id', 'emb', 'items', ARRAY['title'])", (name,))
    yield name
    db.execute("SELECT s3vl.unsync_table(%s, 'items')", (name,))
    db.execute(f"DROP TABLE {name}")


@pytest.fixture(autouse=True)
def no_faults() -> Iterator[None]:
    faults.clear()
    yield
    faults.clear()


def flush(conn: psycopg.Connection, batch_size: int = 500, **options: int) -> dict[str, Any]:
    named = "".join(f", {name} => %({name})s" for name in options)
    cur = conn.execute(
        f"SELECT * FROM s3vl.flush('items', %(batch_size)s{named})",
        {"batch_size": batch_size, **options},
    )
    names = [c.name for c in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def flush_until_done(conn: psycopg.Connection, within_s: float = 30) -> list[dict[str, Any]]:
    """Flush until nothing is pending: keys in doubt wait for their window, so poll."""
    deadline = time.monotonic() + within_s
    results = [flush(conn)]
    while results[-1]["pending_count"]:
        assert time.monotonic() < deadline, results
        time.sleep(0.1)
        results.append(flush(conn))
    return results


def outbox(db: psycopg.Connection) -> list[tuple]:
    return db.execute(
        "SELECT key, done_at IS NOT NULL, dead_at IS NOT NULL, discarded_at IS NOT NULL,"
        " attempts, in_doubt_until IS NOT NULL FROM s3vl.outbox ORDER BY id"
    ).fetchall()


def table_as_index(db: psycopg.Connection, table: str) -> dict[str, Any]:
    rows = db.execute(f"SELECT id, emb, title FROM {table} WHERE emb IS NOT NULL").fetchall()
    return {
        key: ([float(x) for x in emb], {} if title is None else {"title": title})
        for key, emb, title in rows
    }


@contextlib.contextmanager
def configured(db: psycopg.Connection, **settings: int) -> Iterator[None]:
    """s3vl.configure with these settings (as the superuser that installed s3vl); the module's
    configuration again afterwards."""
    arn, region, timeout = db.execute(
        "SELECT lambda_arn, aws_region, timeout_seconds FROM s3vl.config"
    ).fetchone()
    values = {"arn": arn, "region": region, "timeout_seconds": timeout, **settings}
    named = "".join(f", {name} => %({name})s" for name in values if name not in ("arn", "region"))
    db.execute(f"SELECT s3vl.configure(%(arn)s, %(region)s, validate => false{named})", values)
    try:
        yield
    finally:
        db.execute("SELECT s3vl.configure(%s, %s, %s, validate => false)", (arn, region, timeout))


@contextlib.contextmanager
def bridge_answers(
    path: LocalPath, rewrite: Callable[[dict[str, Any], Callable[[], Any]], Any]
) -> Iterator[None]:
    """The hosted function answers put_vectors and delete_vectors with rewrite(event, bridge):
    `bridge()` runs the real bridge; rewrite may also answer without it (a forged answer)."""
    function = path.function.function
    assert function is not None
    real = function.handler

    def handler(event: Any, context: Any) -> Any:
        if isinstance(event, dict) and event.get("operation") in ("put_vectors", "delete_vectors"):
            return rewrite(event, lambda: real(event, context))
        return real(event, context)

    function.handler = handler
    try:
        yield
    finally:
        function.handler = real


class HeldPut:
    """Holds the first PutVectors the local service receives until release() (at most
    `hold_s`), then writes it; `landed` is set once it has been written. Later PutVectors
    pass. The service runs in this process, so this is the S3 Vectors request itself."""

    def __init__(self, hold_s: float = 20) -> None:
        self.hold_s = hold_s
        self.arrived = threading.Event()
        self.landed = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._taken = False

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> HeldPut:
        held = self

        def put_vectors(proceed: Callable[[], Any]) -> Any:
            with held._lock:
                first, held._taken = not held._taken, True
            if not first:
                return proceed()
            held.arrived.set()
            held._release.wait(held.hold_s)
            try:
                return proceed()
            finally:
                held.landed.set()

        self._hook = hooks.around("PutVectors", put_vectors)
        self._hook.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._release.set()
        self._hook.__exit__(None, None, None)


def _envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result, "request_id": "forged", "execution_time_ms": 1}


# -- Section 2: done only when the answer names the key ------------------------------------


def test_a_forged_success_answer_marks_nothing_done(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites,
    attacker: Callable[..., psycopg.Connection],
) -> None:  # fmt: skip
    # The issue's case: an endpoint that answers success without writing anything ("5 sent,
    # 0 pending, and nothing was in the index"). Counts alone do not make a change done.
    db.execute(
        f"INSERT INTO {docs} SELECT 'f' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, 4) i"
    )

    def forged(event: dict[str, Any], bridge: Callable[[], Any]) -> Any:
        if event["operation"] == "put_vectors":
            return _envelope({"written_count": len(event["vectors"]), "chunk_count": 1})
        return _envelope({"deleted_count": len(event["vector_ids"]), "chunk_count": 1})

    writer = attacker("s3vl_writer")
    with bridge_answers(path, forged):
        result = flush(writer)
    assert (result["put_count"], result["delete_count"]) == (0, 0)  # nothing reported sent
    assert result["failed_count"] == 4 and result["pending_count"] == 4
    assert "did not name" in result["last_error"] and "written_keys" in result["last_error"]
    assert [row[1] for row in outbox(db)] == [False] * 4  # nothing done
    assert db.execute("SELECT count(*) FROM s3vl.key_version").fetchone() == (0,)
    assert spy.puts == [] and path.key_set() == set()
    stale = db.execute(f"SELECT key FROM s3vl.stale_keys('{docs}', 'items')").fetchall()
    assert sorted(stale) == [("f1",), ("f2",), ("f3",), ("f4",)]

    # With the real bridge the same changes go out and are done.
    assert flush(writer)["pending_count"] == 0
    assert path.vectors() == table_as_index(db, docs)

    # A delete answered without deleted_keys stays pending too, and the vector stays.
    db.execute(f"DELETE FROM {docs} WHERE id = 'f4'")
    with bridge_answers(path, forged):
        result = flush(writer)
    assert (result["delete_count"], result["failed_count"], result["pending_count"]) == (0, 1, 1)
    assert "deleted_keys" in result["last_error"]
    assert "f4" in path.key_set() and spy.deletes == []
    assert flush(writer)["delete_count"] == 1
    assert path.vectors() == table_as_index(db, docs)


def test_an_answer_that_does_not_name_the_keys_written_leaves_them_pending_until_one_does(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    # An older bridge writes, but its answer has only counts: s3vl cannot tell what it wrote.
    db.execute(
        f"INSERT INTO {docs} SELECT 'o' || i, ARRAY[i, 2, 2, 2] FROM generate_series(1, 4) i"
    )

    def without_keys(event: dict[str, Any], bridge: Callable[[], Any]) -> Any:
        envelope = bridge()
        envelope["result"].pop("written_keys", None)
        envelope["result"].pop("deleted_keys", None)
        return envelope

    with bridge_answers(path, without_keys):
        result = flush(db)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (0, 4, 4)
    assert spy.put_keys == ["o1", "o2", "o3", "o4"]  # it did write them
    rows = db.execute("SELECT done_at IS NULL, attempts, last_error FROM s3vl.outbox").fetchall()
    assert all(pending and attempts == 1 and "did not name" in error
               for pending, attempts, error in rows)  # fmt: skip

    # An answer naming only some keys (o2 and o4) marks only those done.
    def names_some(event: dict[str, Any], bridge: Callable[[], Any]) -> Any:
        envelope = bridge()
        envelope["result"]["written_keys"] = ["o2", "o4", "not-sent"]
        return envelope

    with bridge_answers(path, names_some):
        result = flush(db)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (2, 2, 2)
    done = db.execute("SELECT key FROM s3vl.outbox WHERE done_at IS NOT NULL ORDER BY key")
    assert done.fetchall() == [("o2",), ("o4",)]

    assert flush(db)["pending_count"] == 0
    assert path.vectors() == table_as_index(db, docs)
    assert db.execute(f"SELECT * FROM s3vl.stale_keys('{docs}', 'items')").fetchall() == []


# -- Section 4: a timed-out write that lands after a newer one -------------------------------


def test_a_timed_out_write_that_lands_after_a_newer_one_is_overwritten_once_its_window_passes(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    # The race: timeout_seconds = 2, the first PutVectors held at S3 Vectors past it.
    # Flush A times out with k = v1 in flight; k is updated to v2; flush B runs while A's
    # abandoned invocation still holds v1; then v1 lands. Before the fix B sent v2 and marked
    # both changes done, and the index kept v1 for ever with nothing pending or stale.
    v1, v2 = [1.0, 0.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]
    db.execute(f"INSERT INTO {docs} VALUES ('k', %s, 'v1')", (v1,))
    with configured(db, timeout_seconds=2, function_timeout_seconds=4), HeldPut() as held:
        a = flush(db)  # times out after 2 s with v1 held at S3 Vectors
        assert held.arrived.is_set() and not held.landed.is_set()
        window = db.execute(
            "SELECT in_doubt_until - now() FROM s3vl.outbox WHERE key = 'k'"
        ).fetchone()[0]

        db.execute(f"UPDATE {docs} SET emb = %s, title = 'v2' WHERE id = 'k'", (v2,))
        db.execute(f"INSERT INTO {docs} VALUES ('free', ARRAY[3, 3, 3, 3], 'other key')")
        b = flush(db)  # while A's abandoned invocation still holds v1
        sent_by_b = list(spy.put_keys)

        held.release()  # the abandoned invocation's v1 now lands
        assert held.landed.wait(10)
        results = flush_until_done(db)

    # The index holds the newest value, and nothing says otherwise.
    assert path.get("items", ["k"])["k"] == (v2, {"title": "v2"})
    assert path.vectors() == table_as_index(db, docs)
    assert db.execute(f"SELECT * FROM s3vl.stale_keys('{docs}', 'items')").fetchall() == []
    assert db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone() == (0,)
    assert db.execute(f"SELECT * FROM s3vl.reconcile('{docs}', 'items')").fetchall() == []

    # How: A's key was in doubt from its failure (~2 s in) for function_timeout_seconds ...
    assert (a["put_count"], a["failed_count"], a["pending_count"]) == (0, 1, 1)
    assert "invoke" in a["last_error"] and a["in_doubt_count"] == 1
    assert window is not None and 3 < window.total_seconds() <= 4
    # ... so B sent only the other key, and k (both its changes) waited ...
    assert (b["put_count"], b["failed_count"], b["pending_count"], b["in_doubt_count"]) == (
        1, 0, 2, 1 + 1,
    )  # fmt: skip
    assert sent_by_b == ["free"]
    # ... until the window passed: then its latest change went, once.
    assert sum(r["put_count"] for r in results) == 1
    assert spy.put_keys == ["free", "k", "k"]  # B's other key, A's v1 landing late, then v2


@pytest.mark.parametrize(
    ("code", "status", "in_doubt"),
    [
        ("ServiceUnavailableException", 503, True),  # may still be written
        ("InternalServerException", 500, True),
        ("RequestTimeoutException", 408, True),
        ("TooManyRequestsException", 429, False),  # refused: nothing written
        ("ValidationException", 400, False),
        ("AccessDeniedException", 403, False),
    ],
)
def test_only_a_send_of_unknown_outcome_puts_its_keys_in_doubt(
    db: psycopg.Connection, path: LocalPath, docs: str, code: str, status: int, in_doubt: bool
) -> None:
    db.execute(f"INSERT INTO {docs} VALUES ('u', ARRAY[1, 2, 3, 4], 't')")
    faults.inject("PutVectors", code=code, status=status)
    with configured(db, function_timeout_seconds=600):
        result = flush(db)
    assert result["put_count"] == 0 and result["failed_count"] == 1
    assert result["in_doubt_count"] == (1 if in_doubt else 0)
    assert outbox(db) == [("u", False, False, False, 1, in_doubt)]
    after = flush(db)  # at once: a key in doubt waits, any other is sent again
    assert after["put_count"] == (0 if in_doubt else 1)
    assert path.key_set() == (set() if in_doubt else {"u"})


def test_a_flush_cancelled_during_its_invocation_keeps_the_keys_in_doubt(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    # A cancel reaches flush while its put is at S3 Vectors (the one statement_timeout sends;
    # pg_cancel_backend sends it here, so it is pending before the put is let go, without a
    # timer): the write may still land, so flush records the doubt and returns instead of
    # rolling the record back.
    db.execute(f"INSERT INTO {docs} VALUES ('c', ARRAY[1, 1, 0, 0], 'first')")
    flushing = db.info.backend_pid
    with configured(db, function_timeout_seconds=3), HeldPut() as held:

        def cancel_then_release() -> None:
            if held.arrived.wait(30):
                with psycopg.connect(path.dsn, autocommit=True) as other:
                    other.execute("SELECT pg_cancel_backend(%s)", (flushing,))
                held.release()

        releaser = threading.Thread(target=cancel_then_release)
        releaser.start()
        try:
            result = flush(db)
        finally:
            releaser.join(40)
        assert held.landed.wait(30)
    assert result["put_count"] == 0 and result["failed_count"] == 1
    assert "canceling statement" in result["last_error"]
    assert outbox(db) == [("c", False, False, False, 1, True)]
    db.execute(f"UPDATE {docs} SET title = 'second' WHERE id = 'c'")
    flush_until_done(db)
    assert path.vectors() == table_as_index(db, docs)


# -- Section 5: dead letter, retry and discard, bounded flush ----------------------------------


def test_a_change_the_bridge_refuses_is_dead_after_max_attempts_alone_and_the_queue_flows(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    # 'bad' has 3 KB of filterable metadata: the bridge refuses it (the trigger cannot know
    # which keys the index leaves non-filterable). It sits in the middle of one batch of nine.
    db.execute(
        f"INSERT INTO {docs} SELECT 'g' || i, ARRAY[i, 1, 1, 1], 't' FROM generate_series(1, 4) i"
    )
    db.execute(f"INSERT INTO {docs} VALUES ('bad', ARRAY[1, 2, 3, 4], %s)", (LONG_TITLE,))
    db.execute(
        f"INSERT INTO {docs} SELECT 'g' || i, ARRAY[i, 1, 1, 1], 't' FROM generate_series(5, 8) i"
    )
    with configured(db, max_attempts=2):
        first = flush(db)
        # The good changes of the refused send went out; only 'bad' accrued an attempt.
        assert (first["put_count"], first["failed_count"], first["pending_count"]) == (8, 1, 1)
        assert "metadata" in first["last_error"] and first["dead_count"] == 0
        assert "bad" not in spy.put_keys and len(spy.put_keys) == 8
        assert db.execute(
            "SELECT key, attempts FROM s3vl.outbox WHERE done_at IS NULL"
        ).fetchall() == [("bad", 1)]

        second = flush(db)  # the second refusal: dead
        assert (second["put_count"], second["failed_count"]) == (0, 1)
        assert (second["pending_count"], second["dead_count"]) == (0, 1)
        status = db.execute(
            "SELECT pending_count, dead_count, last_error FROM s3vl.sync_status()"
        ).fetchone()
        assert status[:2] == (0, 1) and "metadata" in status[2]

        # A dead change is not sent again; new changes flow past it.
        sent = len(spy.puts)
        db.execute(f"INSERT INTO {docs} VALUES ('g9', ARRAY[9, 1, 1, 1], 't')")
        third = flush(db)
        assert (third["put_count"], third["failed_count"], third["dead_count"]) == (1, 0, 1)
        assert spy.puts[sent:] == [["g9"]]

        # Fixing the row makes a newer change of the key: it supersedes the dead one.
        db.execute(f"UPDATE {docs} SET title = 'short' WHERE id = 'bad'")
        fourth = flush(db)
    assert (fourth["put_count"], fourth["pending_count"], fourth["dead_count"]) == (1, 0, 0)
    assert db.execute(
        "SELECT done_at IS NOT NULL, dead_at IS NOT NULL, discarded_at IS NULL"
        " FROM s3vl.outbox WHERE key = 'bad' ORDER BY id"
    ).fetchall() == [(True, True, True), (True, False, True)]  # superseded, then sent
    assert path.vectors() == table_as_index(db, docs)
    assert db.execute(f"SELECT * FROM s3vl.stale_keys('{docs}', 'items')").fetchall() == []


def test_a_refusal_that_names_no_vector_is_isolated_by_sending_each_change_alone(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    # S3 Vectors' own ValidationException names no vector: the three go one by one, and only
    # the one refused again (the fault's second time) accrues an attempt.
    db.execute(
        f"INSERT INTO {docs} SELECT 'n' || i, ARRAY[i, 1, 1, 1], 't' FROM generate_series(1, 3) i"
    )
    faults.inject("PutVectors", code="ValidationException", status=400, times=2)
    result = flush(db)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (2, 1, 1)
    assert db.execute(
        "SELECT key, attempts, in_doubt_until IS NULL FROM s3vl.outbox WHERE done_at IS NULL"
    ).fetchall() == [("n1", 1, True)]
    assert path.key_set() == {"n2", "n3"}
    assert flush(db)["pending_count"] == 0
    assert path.vectors() == table_as_index(db, docs)


def _kill(db: psycopg.Connection, docs: str, keys: list[str]) -> None:
    """Make the changes of these keys dead: one throttled send with max_attempts 1."""
    for key in keys:
        db.execute(f"INSERT INTO {docs} VALUES (%s, ARRAY[1, 2, 3, 4], 't')", (key,))
    faults.inject("PutVectors", code="TooManyRequestsException", status=429)
    with configured(db, max_attempts=1):
        result = flush(db)
    assert result["dead_count"] == len(keys) and result["pending_count"] == 0, result


def test_retry_dead_puts_dead_changes_back_with_attempts_reset(
    db: psycopg.Connection, path: LocalPath, docs: str,
    attacker: Callable[..., psycopg.Connection],
) -> None:  # fmt: skip
    _kill(db, docs, ["r1", "r2"])
    assert path.key_set() == set()
    writer = attacker("s3vl_writer")
    assert writer.execute(
        "SELECT s3vl.retry_dead('items', ARRAY['r2', 'elsewhere'])"
    ).fetchone() == (1,)
    assert outbox(db) == [
        ("r1", False, True, False, 1, False),
        ("r2", False, False, False, 0, False),
    ]
    assert flush(writer)["put_count"] == 1 and path.key_set() == {"r2"}
    assert writer.execute("SELECT s3vl.retry_dead('items')").fetchone() == (1,)
    assert writer.execute("SELECT s3vl.retry_dead('items')").fetchone() == (0,)  # none left
    result = flush(writer)
    assert (result["put_count"], result["pending_count"], result["dead_count"]) == (1, 0, 0)
    assert path.vectors() == table_as_index(db, docs)


def test_discard_dead_gives_changes_up_but_keeps_them_in_the_history(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites,
    attacker: Callable[..., psycopg.Connection],
) -> None:  # fmt: skip
    _kill(db, docs, ["d1", "d2"])
    writer = attacker("s3vl_writer")
    assert writer.execute("SELECT s3vl.discard_dead('items', ARRAY['d1'])").fetchone() == (1,)
    assert outbox(db) == [("d1", True, True, True, 1, False), ("d2", False, True, False, 1, False)]
    assert writer.execute("SELECT s3vl.discard_dead('items')").fetchone() == (1,)
    result = flush(writer)
    assert (result["put_count"], result["pending_count"], result["dead_count"]) == (0, 0, 0)
    assert spy.puts == [] and path.key_set() == set()
    status = writer.execute("SELECT pending_count, dead_count FROM s3vl.sync_status()")
    assert status.fetchone() == (0, 0)
    # The rows were never written: stale_keys shows them; the history keeps the discard.
    stale = writer.execute(f"SELECT key FROM s3vl.stale_keys('{docs}', 'items')").fetchall()
    assert sorted(stale) == [("d1",), ("d2",)]
    assert db.execute(
        "SELECT count(*) FROM s3vl.outbox"
        " WHERE discarded_at IS NOT NULL AND last_error LIKE '%TooManyRequests%'"
    ).fetchone() == (2,)
    assert writer.execute("SELECT s3vl.purge_outbox(interval '0')").fetchone() == (2,)


def test_retry_dead_and_discard_dead_touch_only_the_dead_changes_of_their_index(
    db: psycopg.Connection, path: LocalPath, docs: str,
    attacker: Callable[..., psycopg.Connection],
) -> None:  # fmt: skip
    # A dead and a pending change in each of two indexes: retry_dead('items') revives only
    # items' dead one, discard_dead('notes') gives up only notes' dead one.
    db.execute("CREATE TABLE sd_notes (id text PRIMARY KEY, emb real[])")
    try:
        db.execute("SELECT s3vl.sync_table('sd_notes', 'id', 'emb', 'notes')")
        db.execute(f"INSERT INTO {docs} VALUES ('dead-item', ARRAY[1, 2, 3, 4], 't')")
        db.execute("INSERT INTO sd_notes VALUES ('dead-note', ARRAY[1, 2, 3, 4])")
        with configured(db, max_attempts=1):
            for index in ("items", "notes"):
                faults.inject("PutVectors", code="TooManyRequestsException", status=429)
                db.execute("SELECT * FROM s3vl.flush(%s)", (index,))
        db.execute(f"INSERT INTO {docs} VALUES ('pending-item', ARRAY[4, 3, 2, 1], 't')")
        db.execute("INSERT INTO sd_notes VALUES ('pending-note', ARRAY[4, 3, 2, 1])")

        def changes() -> dict[str, tuple]:
            rows = db.execute(
                "SELECT key, done_at IS NOT NULL, dead_at IS NOT NULL, discarded_at IS NOT NULL,"
                " attempts FROM s3vl.outbox"
            ).fetchall()
            return {key: tuple(states) for key, *states in rows}

        assert changes() == {
            "dead-item": (False, True, False, 1), "dead-note": (False, True, False, 1),
            "pending-item": (False, False, False, 0), "pending-note": (False, False, False, 0),
        }  # fmt: skip
        writer = attacker("s3vl_writer")
        assert writer.execute("SELECT s3vl.retry_dead('items')").fetchone() == (1,)
        assert writer.execute("SELECT s3vl.discard_dead('notes')").fetchone() == (1,)
        assert changes() == {
            "dead-item": (False, False, False, 0), "dead-note": (True, True, True, 1),
            "pending-item": (False, False, False, 0), "pending-note": (False, False, False, 0),
        }  # fmt: skip
        for index in ("items", "notes"):
            writer.execute("SELECT * FROM s3vl.flush(%s)", (index,))
        assert path.key_set("items") == {"dead-item", "pending-item"}
        assert path.key_set("notes") == {"pending-note"}
    finally:
        db.execute("SELECT s3vl.unsync_table('sd_notes', 'notes')")
        db.execute("DROP TABLE sd_notes")


def test_a_reader_may_not_retry_or_discard_dead_changes(
    db: psycopg.Connection, docs: str, attacker: Callable[..., psycopg.Connection]
) -> None:
    _kill(db, docs, ["x"])
    before = outbox(db)
    reader = attacker("s3vl_reader")
    for call in ("retry_dead", "discard_dead"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            reader.execute(f"SELECT s3vl.{call}('items')")
        # PostgreSQL's own refusal of the call, not a 42501 from inside it.
        assert refused.value.diag.message_primary == f"permission denied for function {call}"
    assert outbox(db) == before


def test_flush_stops_after_max_batches(db: psycopg.Connection, path: LocalPath, docs: str) -> None:
    db.execute(
        f"INSERT INTO {docs} SELECT 'b' || i, ARRAY[i, 1, 1, 1], 't' FROM generate_series(1, 40) i"
    )
    result = flush(db, batch_size=5, max_batches=3)
    assert (result["put_count"], result["pending_count"]) == (15, 25)
    assert len(path.key_set()) == 15


def test_flush_under_steady_writes_takes_only_what_was_pending_when_it_started(
    db: psycopg.Connection, path: LocalPath, docs: str, spy: SpyOnWrites
) -> None:
    # The issue: under steady writes one flush kept claiming new batches for the whole run.
    # A writer inserts rows one by one from another session from the moment flush sends its
    # first batch, until flush returns (or 30 s pass). The first PutVectors waits until the
    # writer has committed 50 rows, so rows recorded after flush started are there to take.
    db.execute(
        f"INSERT INTO {docs} SELECT 's' || i, ARRAY[i, 1, 1, 1], 't' FROM generate_series(1, 200) i"
    )
    first_put = threading.Event()
    fifty_written = threading.Event()
    flush_returned = threading.Event()
    written: list[int] = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with psycopg.connect(path.dsn, autocommit=True) as conn:
                first_put.wait(30)
                deadline = time.monotonic() + 30
                while not flush_returned.is_set() and time.monotonic() < deadline:
                    n = written[0] + 1
                    conn.execute(
                        f"INSERT INTO {docs} VALUES (%s, ARRAY[1, 2, 3, %s], 'w')", (f"w{n}", n)
                    )
                    written[0] = n
                    if n == 50:
                        fifty_written.set()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def put_vectors(proceed: Callable[[], Any]) -> Any:
        first_put.set()
        fifty_written.wait(30)
        return proceed()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with hooks.around("PutVectors", put_vectors):
            result = flush(db, batch_size=10)
            still_writing = thread.is_alive()
            written_then = written[0]
    finally:
        flush_returned.set()
        thread.join(40)
    assert not errors and not thread.is_alive()
    assert still_writing  # flush returned while the writer kept writing
    assert written_then >= 50
    assert result["put_count"] == 200  # exactly what was pending when it started
    assert result["pending_count"] >= 50
    assert not any(key.startswith("w") for key in spy.put_keys)
    assert flush_until_done(db, within_s=60)[-1]["pending_count"] == 0
    assert path.vectors() == table_as_index(db, docs)


CONFIGURE = "SELECT s3vl.configure({arn}, {region}, 30, false, {argument} => {value})"
FLUSH = "SELECT * FROM s3vl.flush('items', max_batches => {value})"
BAD_ARGUMENTS = [
    # (role, statement, SQLSTATE, what the message names)
    *(("s3vl_admin", CONFIGURE.replace("{argument}", argument).replace("{value}", value),
       "22023", f'"{argument}"')
      for argument, values in (("function_timeout_seconds", ("0", "901", "NULL")),
                               ("max_attempts", ("0", "101", "NULL")))
      for value in values),
    *(("s3vl_writer", FLUSH.replace("{value}", value), "22023", '"max_batches"')
      for value in ("0", "NULL", "100001")),
    ("s3vl_writer", "SELECT s3vl.{call}(NULL)", "22023", '"index_name"'),
    ("s3vl_writer", "SELECT s3vl.{call}(' ')", "22023", '"index_name"'),
    ("s3vl_writer", "SELECT s3vl.{call}('no-such-index')", "42704", '"no-such-index"'),
    ("s3vl_writer", "SELECT s3vl.{call}('items', '{{}}')", "22023", '"keys"'),
    ("s3vl_writer", "SELECT s3vl.{call}('items', ARRAY['x', NULL])", "22023", '"keys"'),
    ("s3vl_writer", "SELECT s3vl.{call}('items', '{{{{x}},{{y}}}}')", "22023", '"keys"'),
]  # fmt: skip


@pytest.mark.parametrize("call", ["retry_dead", "discard_dead"])
def test_bad_arguments_are_refused_naming_the_argument_and_change_nothing(
    db: psycopg.Connection, path: LocalPath, docs: str, call: str,
    attacker: Callable[..., psycopg.Connection],
) -> None:  # fmt: skip
    _kill(db, docs, ["x"])
    db.execute(f"INSERT INTO {docs} VALUES ('p', ARRAY[1, 1, 1, 1], 't')")  # pending
    config = db.execute("SELECT * FROM s3vl.config").fetchall()
    before = outbox(db)
    arn, region = db.execute("SELECT lambda_arn, aws_region FROM s3vl.config").fetchone()
    sessions = {role: attacker(role) for role in ("s3vl_admin", "s3vl_writer")}
    for role, template, state, named in BAD_ARGUMENTS:
        statement = template.format(call=call, arn=f"'{arn}'", region=f"'{region}'")
        with pytest.raises(psycopg.Error) as refused:
            sessions[role].execute(statement)
        error = refused.value
        assert error.sqlstate == state, (statement, error)
        assert named in error.diag.message_primary, statement
        assert error.diag.message_detail and error.diag.message_hint, statement
    assert db.execute("SELECT * FROM s3vl.config").fetchall() == config
    assert outbox(db) == before
    assert path.key_set() == set()


# -- A send the bridge writes in part (its PutVectors go out three at once) ---------------------


def _rows(db: psycopg.Connection, docs: str, n: int) -> list[str]:
    db.execute(
        f"INSERT INTO {docs} SELECT 'w' || i, ARRAY[i, 1, 1, 1] FROM generate_series(1, %s) i", (n,)
    )
    return [key for key, *_ in outbox(db)]


@pytest.mark.parametrize(
    ("code", "status", "in_doubt"),
    [
        ("ServiceUnavailableException", 503, True),  # the failed chunk may still land
        ("TooManyRequestsException", 429, False),  # nothing of that chunk was written
    ],
)
def test_a_send_written_in_part_marks_done_exactly_the_keys_written(
    db: psycopg.Connection, path: LocalPath, docs: str, code: str, status: int, in_doubt: bool
) -> None:
    """1,200 changes in one send, three PutVectors at once; the second to arrive fails. The
    bridge's PartialWrite names the keys written: those are done, and only the failed chunk's
    stay pending, held in doubt or not as its cause says."""
    keys = _rows(db, docs, 1200)
    faults.inject("PutVectors", code=code, status=status, skip=1)
    with configured(db, function_timeout_seconds=600):
        result = flush(db, batch_size=1500)
    written = path.key_set()
    lost = [key for key in keys if key not in written]
    assert len(lost) in (200, 500)  # one whole chunk
    assert (result["put_count"], result["failed_count"]) == (1200 - len(lost), len(lost))
    assert result["pending_count"] == len(lost)
    assert result["in_doubt_count"] == (len(lost) if in_doubt else 0)
    rows = {key: state for key, *state in outbox(db)}
    assert {key for key, (done, *_) in rows.items() if done} == written
    assert all(rows[key] == [False, False, False, 1, in_doubt] for key in lost)
    assert "keys were written" in result["last_error"]
    after = flush(db, batch_size=1500)  # at once: a key in doubt waits, any other goes again
    assert after["put_count"] == (0 if in_doubt else len(lost))


def test_a_refusal_of_one_chunk_settles_the_written_ones_and_sends_the_rest_alone(
    db: psycopg.Connection, path: LocalPath, docs: str
) -> None:
    """S3 Vectors refuses one chunk without naming a vector: the other chunks' keys are done,
    and the refused chunk's go out one by one (here all pass: the refusal was once)."""
    keys = _rows(db, docs, 700)
    faults.inject("PutVectors", code="ValidationException", status=400, skip=1)
    result = flush(db, batch_size=1500)
    assert (result["put_count"], result["failed_count"], result["pending_count"]) == (700, 0, 0)
    assert path.key_set() == set(keys)
    assert all(attempts == 1 for *_, attempts, _ in outbox(db))
