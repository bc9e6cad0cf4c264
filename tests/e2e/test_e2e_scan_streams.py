"""s3vl.scan_vectors streams (issue 11, goal 6): rows leave as each ListVectors page arrives, so
a caller that stops early lists no more. Proven by counting the ListVectors requests the local
service serves (devstack.s3vectors.hooks.around), on an index of three pages of 500, read by a
role holding only s3vl_reader: the inlining that makes it stream runs with the caller's rights.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from devstack.s3vectors import hooks
from devstack.stack import LocalStack, s3vectors_client
from tests.support.s3vectors import create_index, put_in_chunks

pytestmark = pytest.mark.slow

INDEX = "scan-streams"
VECTORS = 1_200  # pages of 500 (scan_vectors' default page size): 500, 500, 200
KEYS = [f"k{i:04d}" for i in range(VECTORS)]


class ListRequests:
    """Counts the ListVectors requests the local service serves while the block runs."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _count(self, proceed: hooks.Proceed) -> Any:
        with self._lock:
            self.count += 1
        return proceed()

    def __enter__(self) -> ListRequests:
        self._hook = hooks.around("ListVectors", self._count)
        self._hook.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._hook.__exit__(*exc_info)


@pytest.fixture(scope="module")
def index_arn(stack: LocalStack) -> Iterator[str]:
    """An index of the stack's bucket (which the bridge serves) holding VECTORS vectors."""
    client = s3vectors_client(stack.s3vectors_url)
    create_index(client, stack.bucket, INDEX, 4)
    try:
        selector = {"vectorBucketName": stack.bucket, "indexName": INDEX}
        vectors = [
            {"key": key, "data": {"float32": [1.0, i % 7, 2.0, 3.0]}, "metadata": {"n": i}}
            for i, key in enumerate(KEYS)
        ]
        put_in_chunks(client, selector, vectors)
        yield client.get_index(**selector)["index"]["indexArn"]
    finally:
        client.delete_index(vectorBucketName=stack.bucket, indexName=INDEX)


@pytest.fixture
def reader(db: psycopg.Connection) -> psycopg.Connection:
    """The test's connection, as a role holding s3vl_reader and nothing else."""
    db.execute("CREATE ROLE s3vl_scan_reader")
    db.execute("GRANT s3vl_reader TO s3vl_scan_reader")
    db.execute("SET ROLE s3vl_scan_reader")
    return db


def test_limit_10_lists_one_page(reader: psycopg.Connection, index_arn: str) -> None:
    with ListRequests() as requests:
        rows = reader.execute(
            "SELECT vector_id, metadata FROM s3vl.scan_vectors(%s) LIMIT 10", [index_arn]
        ).fetchall()
    assert [key for key, _ in rows] == KEYS[:10]  # the local service lists in key order
    assert rows[0][1] == {"n": 0}
    assert requests.count == 1


def test_the_first_row_arrives_after_the_first_page(
    reader: psycopg.Connection, index_arn: str
) -> None:
    with ListRequests() as requests, reader.cursor(name="scan") as cursor:
        cursor.itersize = 1
        cursor.execute("SELECT vector_id FROM s3vl.scan_vectors(%s)", [index_arn])
        first = cursor.fetchone()
        after_first = requests.count
        rest = cursor.fetchmany(500)  # the rest of page 1 and the first row of page 2
        after_501 = requests.count
        remaining = cursor.fetchall()
    assert first == (KEYS[0],) and after_first == 1
    assert rest[-1] == (KEYS[500],) and after_501 == 2
    assert [first[0]] + [r[0] for r in rest + remaining] == KEYS
    assert requests.count == 3  # and no request after the last page


def test_a_whole_scan_reads_every_page_once_with_data_and_segments(
    reader: psycopg.Connection, index_arn: str
) -> None:
    with ListRequests() as requests:
        rows = reader.execute(
            "SELECT vector_id, vector_data, metadata FROM s3vl.scan_vectors("
            " index_arn => %s, return_data => true, return_metadata => false, page_size => 1000)",
            [index_arn],
        ).fetchall()
    assert requests.count == 2
    assert [r[0] for r in rows] == KEYS
    assert rows[8][1:] == ([1.0, 1.0, 2.0, 3.0], None)
    segments = [
        reader.execute(
            "SELECT count(*) FROM s3vl.scan_vectors(%s, segment_count => 2, segment_index => %s)",
            [index_arn, s],
        ).fetchone()[0]
        for s in range(2)
    ]
    assert sum(segments) == VECTORS and 0 not in segments


def test_a_call_postgresql_does_not_inline_still_answers_every_row(
    reader: psycopg.Connection, index_arn: str
) -> None:
    # WITH ORDINALITY (like a function in the select list) keeps the function call: it runs
    # to completion first, as any function in FROM, and still answers every page.
    rows = reader.execute(
        "SELECT n, vector_id FROM s3vl.scan_vectors(%s) WITH ORDINALITY AS s(vector_id, d, m, n)"
        " ORDER BY n DESC LIMIT 1",
        [index_arn],
    ).fetchall()
    assert rows == [(VECTORS, KEYS[-1])]
