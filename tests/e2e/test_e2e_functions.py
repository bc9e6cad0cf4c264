"""Every s3vl function through the whole local path: SQL -> aws_lambda.invoke (compat) -> the
Invoke endpoint -> the real bridge handler -> boto3 -> the local S3 Vectors service -> rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from devstack.stack import LocalStack, s3vectors_client
from tests.support.rankings import as_float32, cosine_ranking, sample_records

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"
QUERY = [0.1, 0.2, 0.3, 0.4, 0.5]
# What the tests expect is computed here from the sample file the demo index was loaded from:
# exact cosine distances in float64 over the float32 values, never the service's answers.
SAMPLE = sample_records()
METADATA = {r["key"]: r["metadata"] for r in SAMPLE}
DATA = {r["key"]: r["data"] for r in SAMPLE}
ALL_KEYS = sorted(METADATA)
DEMO_INDEX_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/s3vl-demo/index/demo-index"
DISTANCE = 1e-6  # float32 arithmetic in the service against float64 here


def near(value: float) -> Any:
    """value, as the service's float32 arithmetic may answer it."""
    return pytest.approx(value, abs=DISTANCE)


def nearest(top_k: int, query: list[float] = QUERY, category: str | None = None) -> list[tuple]:
    """(key, distance) of the top_k nearest sample vectors, closest first."""
    ranked = cosine_ranking(SAMPLE, query)
    if category is not None:
        ranked = [(k, d) for k, d in ranked if METADATA[k]["category"] == category]
    return ranked[:top_k]


def test_validate_config_reports_a_healthy_round_trip(
    db: psycopg.Connection, stack: LocalStack
) -> None:
    row = db.execute("SELECT * FROM s3vl.validate_config()").fetchone()
    assert row is not None
    assert row[:4] == (True, stack.function.function_arn, "us-east-1", None)
    assert db.execute("SELECT last_validation_status FROM s3vl.get_config()").fetchone() == (
        "HEALTHY",
    )


def test_register_index_asks_s3_vectors_for_dimension_and_metric(
    db: psycopg.Connection, stack: LocalStack
) -> None:
    db.execute("SELECT s3vl.register_index('again', %s)", [stack.index_arn()])
    assert db.execute(
        "SELECT dimension, distance_metric, bucket_name FROM s3vl.get_index_info('again')"
    ).fetchone() == (5, "cosine", "s3vl-demo")


@pytest.mark.parametrize("cast", ["", "::real[]", "::float8[]", "::numeric[]"])
def test_query_vectors_answers_for_every_array_type(db: psycopg.Connection, cast: str) -> None:
    rows = db.execute(
        f"SELECT vector_id, distance, similarity_score, metadata"
        f" FROM s3vl.query_vectors({V5}{cast}, index_name => 'demo-index', top_k => 3)"
    ).fetchall()
    assert rows == [
        (key, near(distance), near(1 - distance), METADATA[key]) for key, distance in nearest(3)
    ]
    assert all(r[1] + r[2] == pytest.approx(1, abs=1e-9) for r in rows)


def test_query_vectors_by_arn_without_metadata(db: psycopg.Connection) -> None:
    rows = db.execute(
        f"SELECT vector_id, metadata FROM s3vl.query_vectors({V5}, index_arn => %s,"
        " top_k => 4, return_metadata => false, query_mode => 'enhanced')",
        [DEMO_INDEX_ARN],
    ).fetchall()
    assert rows == [(key, None) for key, _ in nearest(4)]


def test_query_vectors_with_a_large_top_k_returns_every_vector(db: psycopg.Connection) -> None:
    rows = db.execute(
        f"SELECT vector_id, distance FROM s3vl.query_vectors({V5}, 'demo-index', top_k => 10000)"
    ).fetchall()
    expected = dict(nearest(10000))
    assert sorted(r[0] for r in rows) == ALL_KEYS
    assert dict(rows) == pytest.approx(expected, abs=DISTANCE)
    # Closest first: vec_048 to vec_050 hold the same vector, so only the distances are ordered.
    assert [r[1] for r in rows] == pytest.approx(sorted(expected.values()), abs=DISTANCE)


def test_query_vectors_batch_numbers_its_queries(db: psycopg.Connection) -> None:
    other = [0.5, 0.4, 0.3, 0.2, 0.1]
    rows = db.execute(
        "SELECT query_position, vector_id, similarity_score FROM s3vl.query_vectors_batch("
        "(SELECT array_agg(e ORDER BY k) FROM (VALUES (1, ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]),"
        " (2, ARRAY[0.5, 0.4, 0.3, 0.2, 0.1])) AS v(k, e)), 'demo-index', top_k => 2)"
    ).fetchall()
    assert rows == [
        (position, key, near(1 - distance))
        for position, query in ((1, QUERY), (2, other))
        for key, distance in nearest(2, query)
    ]


def test_get_vectors_without_data_or_metadata(db: psycopg.Connection) -> None:
    rows = db.execute(
        "SELECT vector_id, embedding, metadata, found FROM s3vl.get_vectors("
        "ARRAY['vec_010', 'vec_010', 'nope'], 'demo-index',"
        " include_vector_data => false, include_metadata => false)"
    ).fetchall()
    assert rows == [("vec_010", None, None, True), ("nope", None, None, False)]


def test_list_vectors_pages_through_the_index(db: psycopg.Connection) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        rows = db.execute(
            "SELECT vector_id, vector_data, response_next_token, total_count"
            " FROM s3vl.list_vectors("
            "index_name => 'demo-index', max_results => 20, next_token => %s, return_data => true)",
            [token],
        ).fetchall()
        pages += 1
        assert all(
            r[1] == pytest.approx(as_float32(DATA[r[0]])) and r[3] == len(rows) for r in rows
        )
        seen += [r[0] for r in rows]
        token = rows[0][2]
        if token is None:
            break
    assert pages == 3
    assert sorted(seen) == ALL_KEYS


def test_scan_vectors_streams_every_vector_and_segments_split_them(db: psycopg.Connection) -> None:
    everything = db.execute("SELECT vector_id FROM s3vl.scan_vectors('demo-index', page_size => 7)")
    keys = sorted(r[0] for r in everything.fetchall())
    assert keys == ALL_KEYS
    segments = [
        r[0]
        for s in range(3)
        for r in db.execute(
            "SELECT vector_id FROM s3vl.scan_vectors('demo-index', segment_count => 3,"
            " segment_index => %s)",
            [s],
        ).fetchall()
    ]
    assert sorted(segments) == keys


def test_import_bucket_registers_every_index_of_the_bucket(
    db: psycopg.Connection, stack: LocalStack
) -> None:
    client = s3vectors_client(stack.s3vectors_url)
    client.create_index(
        vectorBucketName="s3vl-demo", indexName="docs.v2", dataType="float32",
        dimension=8, distanceMetric="euclidean",
    )  # fmt: skip
    try:
        rows = db.execute("SELECT * FROM s3vl.import_bucket('s3vl-demo')").fetchall()
        assert [(r[0], r[2], r[3]) for r in rows] == [
            ("demo-index", 5, "cosine"),
            ("docs_v2", 8, "euclidean"),
        ]
        error = db.execute(
            "SELECT count(*) FROM s3vl.query_vectors("
            "ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::real[], 'docs_v2')"
        ).fetchone()
        assert error == (0,)
    finally:
        client.delete_index(vectorBucketName="s3vl-demo", indexName="docs.v2")


def test_s3vl_restores_the_sessions_own_request_timeout(db: psycopg.Connection) -> None:
    db.execute("SET aws_lambda.request_timeout_ms = '2345'")
    db.execute(f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')").fetchall()
    assert db.execute("SHOW aws_lambda.request_timeout_ms").fetchone() == ("2345",)


def test_a_filter_carrying_sql_is_only_data(db: psycopg.Connection) -> None:
    rows = db.execute(
        f"SELECT vector_id FROM s3vl.query_vectors({V5}, 'demo-index',"
        " metadata_filter => %s::jsonb)",
        ['{"category": "demo\'; DROP TABLE public.products; --"}'],
    ).fetchall()
    assert rows == []
    assert db.execute("SELECT count(*) FROM public.products").fetchone() == (50,)


def expect_rows(
    expected: list[tuple], columns: tuple[int, ...] | None = None
) -> Callable[[list[tuple]], None]:
    """A check that the rows are `expected`, in order (only `columns` of each, when given:
    timestamps are left out)."""

    def check(rows: list[tuple]) -> None:
        kept = rows if columns is None else [tuple(r[i] for i in columns) for r in rows]
        assert kept == expected

    return check


def expect_first_list_page(rows: list[tuple]) -> None:
    # ListVectors promises no order: 20 distinct written keys, each with its metadata as
    # written, the token of the next page and the page's count on every row.
    assert len({r[0] for r in rows}) == len(rows) == 20
    assert all(r[1] == METADATA[r[0]] and r[3] == 20 for r in rows)
    assert len({r[2] for r in rows}) == 1 and rows[0][2]


CONFIGURED = (
    "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge",  # the stack's function
    "us-east-1",
    30,  # timeout_seconds and function_timeout_seconds, as the stack configures them
    "HEALTHY",
    30,
    5,  # max_attempts' default
)
REGISTERED = (
    "demo-index", DEMO_INDEX_ARN, "sample vectors of the walkthrough", "s3vl-demo",
    "us-east-1", "123456789012", True, 5, "cosine",
)  # fmt: skip
REFERENCE_CALLS: list[tuple[str, Callable[[list[tuple]], None]]] = [
    # The aws-samples integration's README, verbatim but for the index name, each with the
    # rows it must return.
    (
        """SELECT vector_id, similarity_score, distance, metadata
       FROM s3vl.query_vectors(
           query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
           index_name => 'demo-index',
           top_k => 10,
           return_metadata => TRUE)""",
        expect_rows([(k, near(1 - d), near(d), METADATA[k]) for k, d in nearest(10)]),
    ),
    (
        """SELECT vector_id, similarity_score, metadata
       FROM s3vl.query_vectors(
           query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
           index_name => 'demo-index',
           top_k => 5,
           return_metadata => TRUE,
           metadata_filter => '{"category": "test"}'::jsonb)""",
        expect_rows([(k, near(1 - d), METADATA[k]) for k, d in nearest(5, category="test")]),
    ),
    (
        """SELECT vector_id, embedding, metadata, found
       FROM s3vl.get_vectors(
           vector_ids => ARRAY['vec_001', 'vec_002', 'vec_003'],
           index_name => 'demo-index',
           include_vector_data => TRUE,
           include_metadata => TRUE)""",
        expect_rows(
            [
                (k, pytest.approx(as_float32(DATA[k])), METADATA[k], True)
                for k in ("vec_001", "vec_002", "vec_003")
            ]
        ),
    ),
    (
        """SELECT vector_id, metadata, response_next_token, total_count
       FROM s3vl.list_vectors(
           index_name => 'demo-index',
           max_results => 20,
           return_metadata => TRUE)""",
        expect_first_list_page,
    ),
    (
        "SELECT * FROM s3vl.get_config()",
        expect_rows([CONFIGURED], columns=(0, 1, 2, 6, 7, 8)),
    ),
    (
        "SELECT * FROM s3vl.list_indexes()",
        expect_rows([REGISTERED], columns=(0, 1, 2, 3, 4, 5, 8, 9, 10)),
    ),
    (
        "SELECT * FROM s3vl.get_index_info('demo-index')",
        expect_rows([REGISTERED], columns=(0, 1, 2, 3, 4, 5, 8, 9, 10)),
    ),
]


@pytest.mark.parametrize(("call", "check"), REFERENCE_CALLS)
def test_the_reference_integrations_documented_calls_work_verbatim(
    db: psycopg.Connection, call: str, check: Callable[[list[tuple]], None]
) -> None:
    check(db.execute(call).fetchall())
