"""Issue 9, section 7: an innocent SELECT on an index view must not scan a whole index.

A view cannot see its WHERE: `SELECT * FROM s3_vectors.scanned WHERE key = 'x'` lists the index
before PostgreSQL filters. So a scan through an index view stops with SQLSTATE 54000 as soon as
it lists more than s3vl.view_scan_limit vectors (default 10000, 0 = no limit), page by page, and
the error names the view's key lookup function and the setting. Through real roles on the real
local path; ListVectors calls are counted at the local S3 Vectors service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from moto.s3vectors.responses import S3VectorsResponse

from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow

VIEW = "s3_vectors.scanned"
LOOKUP = "s3_vectors.scanned('key', ...)"


class Operations:
    """Every S3 Vectors operation the local service serves (in this process), by name."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def count(self, operation: str) -> int:
        return self.seen.count(operation)

    def clear(self) -> None:
        self.seen.clear()


@pytest.fixture
def operations(monkeypatch: pytest.MonkeyPatch) -> Operations:
    recorded = Operations()
    original = S3VectorsResponse.call_action

    def call_action(self: S3VectorsResponse) -> Any:
        recorded.seen.append(self._get_action() or "")
        return original(self)

    monkeypatch.setattr(S3VectorsResponse, "call_action", call_action)
    return recorded


@pytest.fixture
def view(db: psycopg.Connection) -> Iterator[str]:
    """The view over `items` (and its lookup function) as an administrator makes it."""
    created = db.execute("SELECT s3vl.create_index_view('items', 's3_vectors', 'scanned')")
    assert created.fetchone() == (VIEW,)
    yield VIEW
    db.execute("DROP SCHEMA s3_vectors CASCADE")


def plant(path: LocalPath, count: int, index: str = "items") -> set[str]:
    keys = [f"k{i}" for i in range(1, count + 1)]
    path.put(index, [
        {"key": key, "data": {"float32": [float(i), 1.0, 1.0, 1.0]}, "metadata": {"i": i}}
        for i, key in enumerate(keys, start=1)
    ])  # fmt: skip
    return set(keys)


def refused(conn: psycopg.Connection, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql).fetchall()
    return caught.value


def test_a_select_past_the_limit_stops_and_names_the_lookup_function_and_the_setting(
    reader: psycopg.Connection, path: LocalPath, view: str, operations: Operations
) -> None:
    plant(path, 30)
    reader.execute("SET s3vl.view_scan_limit = 10")
    operations.clear()
    error = refused(reader, f"SELECT * FROM {view} WHERE key = 'k1'")
    assert error.sqlstate == "54000", error
    message = error.diag.message_primary or ""
    assert LOOKUP in message and "s3vl.view_scan_limit" in message, message
    assert "more than 10 vectors" in message
    assert "SET s3vl.view_scan_limit" in (error.diag.message_hint or "")
    assert LOOKUP in (error.diag.message_hint or "")
    assert "stopped after 11 vectors" in (error.diag.message_detail or "")
    # One page of limit + 1 rows is enough to know: the other 19 vectors are never listed.
    assert operations.seen == ["ListVectors"]


def test_a_scan_stops_at_the_page_that_passes_the_limit_not_at_the_end(
    reader: psycopg.Connection, path: LocalPath, view: str, operations: Operations
) -> None:
    plant(path, 1600)  # four pages of 500
    reader.execute("SET s3vl.view_scan_limit = 501")
    operations.clear()
    error = refused(reader, f"SELECT count(*) FROM {view}")
    assert error.sqlstate == "54000", error
    assert "stopped after 502 vectors in 2 ListVectors page(s)" in (error.diag.message_detail or "")
    assert operations.count("ListVectors") == 2


def test_the_default_limit_is_10000_rows(
    reader: psycopg.Connection, path: LocalPath, view: str, operations: Operations
) -> None:
    plant(path, 10_001)
    operations.clear()
    error = refused(reader, f"SELECT * FROM {view} WHERE key = 'k5'")
    assert error.sqlstate == "54000", error
    assert "more than 10000 vectors" in (error.diag.message_primary or "")
    assert operations.count("ListVectors") == 21  # 20 pages of 500, then the one row past
    reader.execute("SET s3vl.view_scan_limit = 0")  # 0: no limit
    assert reader.execute(f"SELECT count(*) FROM {view}").fetchone() == (10_001,)


def test_within_the_limit_every_row_comes_back(
    reader: psycopg.Connection, path: LocalPath, view: str
) -> None:
    keys = plant(path, 30)
    for setting in ("30", "0", "DEFAULT"):
        reader.execute(f"SET s3vl.view_scan_limit = {setting}")
        rows = reader.execute(f"SELECT key, data, metadata FROM {view}").fetchall()
        assert {row[0] for row in rows} == keys, setting
        assert len(rows) == 30
    reader.execute("SET s3vl.view_scan_limit = 30")
    one = reader.execute(f"SELECT key, data, metadata FROM {view} WHERE key = 'k7'").fetchall()
    assert one == [("k7", [7.0, 1.0, 1.0, 1.0], {"i": 7})]


def test_the_lookup_function_answers_a_key_without_listing(
    reader: psycopg.Connection, path: LocalPath, view: str, operations: Operations
) -> None:
    plant(path, 30)
    reader.execute("SET s3vl.view_scan_limit = 1")
    operations.clear()
    rows = reader.execute("SELECT key, data FROM s3_vectors.scanned('k3', 'k7', 'nope')").fetchall()
    assert rows == [("k3", [3.0, 1.0, 1.0, 1.0]), ("k7", [7.0, 1.0, 1.0, 1.0])]
    assert operations.seen == ["GetVectors"]


def test_update_and_delete_through_the_view_past_the_limit_write_nothing(
    writer: psycopg.Connection, path: LocalPath, view: str, spy: SpyOnWrites
) -> None:
    keys = plant(path, 30)
    before = path.vectors()
    spy.puts.clear()  # the planting went through the service too
    writer.execute("SET s3vl.view_scan_limit = 10")
    for sql in (
        f"DELETE FROM {view} WHERE key = 'k1'",
        f"UPDATE {view} SET metadata = '{{\"i\": 0}}' WHERE key = 'k2'",
    ):
        error = refused(writer, sql)
        assert error.sqlstate == "54000", sql
        assert LOOKUP in (error.diag.message_primary or ""), sql
    assert spy.puts == [] and spy.deletes == []
    assert path.key_set() == keys
    assert path.vectors() == before


@pytest.mark.parametrize("setting", ["'lots'", "'-1'", "'1e9'", "'10 rows'"])
def test_a_setting_that_is_not_a_whole_number_is_refused_naming_it(
    reader: psycopg.Connection, path: LocalPath, view: str, operations: Operations, setting: str
) -> None:
    reader.execute(f"SET s3vl.view_scan_limit = {setting}")
    operations.clear()
    error = refused(reader, f"SELECT * FROM {view}")
    assert error.sqlstate == "22023", error
    assert '"s3vl.view_scan_limit"' in (error.diag.message_primary or "")
    assert error.diag.message_detail and error.diag.message_hint
    assert operations.seen == []


def test_index_rows_without_a_view_names_its_by_key_form(
    reader: psycopg.Connection, path: LocalPath, operations: Operations
) -> None:
    plant(path, 5, index="notes")
    reader.execute("SET s3vl.view_scan_limit = 2")
    operations.clear()
    error = refused(reader, "SELECT * FROM s3vl.index_rows('notes')")
    assert error.sqlstate == "54000", error
    assert "s3vl.index_rows('notes', ARRAY['key', ...])" in (error.diag.message_primary or "")
    assert operations.seen == ["ListVectors"]
