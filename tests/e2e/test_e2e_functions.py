"""Every s3vl function through the whole local path: SQL -> aws_lambda.invoke (compat) -> the
Invoke endpoint -> the real bridge handler -> boto3 -> the local S3 Vectors service -> rows."""

from __future__ import annotations

import psycopg
import pytest

from devstack.stack import LocalStack, s3vectors_client

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"


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
def test_query_vectors_answers_for_every_array_type(
    db: psycopg.Connection, stack: LocalStack, cast: str
) -> None:
    rows = db.execute(
        f"SELECT vector_id, distance, similarity_score, metadata"
        f" FROM s3vl.query_vectors({V5}{cast}, index_name => 'demo-index', top_k => 3)"
    ).fetchall()
    # The same query asked of the service directly through boto3.
    direct = s3vectors_client(stack.s3vectors_url).query_vectors(
        indexArn=stack.index_arn(), queryVector={"float32": [0.1, 0.2, 0.3, 0.4, 0.5]},
        topK=3, returnDistance=True, returnMetadata=True,
    )["vectors"]  # fmt: skip
    assert [r[0] for r in rows] == [v["key"] for v in direct]
    assert [r[1] for r in rows] == pytest.approx([v["distance"] for v in direct], abs=1e-6)
    assert [r[3] for r in rows] == [v["metadata"] for v in direct]
    assert all(abs(r[1] + r[2] - 1) < 1e-9 for r in rows)


def test_query_vectors_by_arn_without_metadata(db: psycopg.Connection, stack: LocalStack) -> None:
    rows = db.execute(
        f"SELECT vector_id, metadata FROM s3vl.query_vectors({V5}, index_arn => %s,"
        " top_k => 4, return_metadata => false, query_mode => 'enhanced')",
        [stack.index_arn()],
    ).fetchall()
    assert len(rows) == 4 and all(r[1] is None for r in rows)


def test_query_vectors_with_a_large_top_k_returns_every_vector(db: psycopg.Connection) -> None:
    rows = db.execute(
        f"SELECT vector_id FROM s3vl.query_vectors({V5}, 'demo-index', top_k => 10000)"
    )
    assert len(rows.fetchall()) == 50


def test_query_vectors_batch_numbers_its_queries(db: psycopg.Connection) -> None:
    rows = db.execute(
        "SELECT query_position, vector_id, similarity_score FROM s3vl.query_vectors_batch("
        "(SELECT array_agg(e ORDER BY k) FROM (VALUES (1, ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]),"
        " (2, ARRAY[0.5, 0.4, 0.3, 0.2, 0.1])) AS v(k, e)), 'demo-index', top_k => 2)"
    ).fetchall()
    single = db.execute(
        "SELECT vector_id FROM s3vl.query_vectors("
        "ARRAY[0.5, 0.4, 0.3, 0.2, 0.1], 'demo-index', top_k => 2)"
    ).fetchall()
    assert [r[0] for r in rows] == [1, 1, 2, 2]
    assert [r[1] for r in rows if r[0] == 2] == [r[0] for r in single]


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
        assert all(len(r[1]) == 5 and r[3] == len(rows) for r in rows)
        seen += [r[0] for r in rows]
        token = rows[0][2]
        if token is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"vec_{i:03d}" for i in range(1, 51)]


def test_scan_vectors_streams_every_vector_and_segments_split_them(db: psycopg.Connection) -> None:
    everything = db.execute("SELECT vector_id FROM s3vl.scan_vectors('demo-index', page_size => 7)")
    keys = sorted(r[0] for r in everything.fetchall())
    assert keys == [f"vec_{i:03d}" for i in range(1, 51)]
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


REFERENCE_CALLS = [
    # The aws-samples integration's README, verbatim but for the index name.
    """SELECT vector_id, similarity_score, distance, metadata
       FROM s3vl.query_vectors(
           query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
           index_name => 'demo-index',
           top_k => 10,
           return_metadata => TRUE)""",
    """SELECT vector_id, similarity_score, metadata
       FROM s3vl.query_vectors(
           query_vector => ARRAY[0.1, 0.2, 0.3, 0.4, 0.5],
           index_name => 'demo-index',
           top_k => 5,
           return_metadata => TRUE,
           metadata_filter => '{"category": "test"}'::jsonb)""",
    """SELECT vector_id, embedding, metadata, found
       FROM s3vl.get_vectors(
           vector_ids => ARRAY['vec_001', 'vec_002', 'vec_003'],
           index_name => 'demo-index',
           include_vector_data => TRUE,
           include_metadata => TRUE)""",
    """SELECT vector_id, metadata, response_next_token, total_count
       FROM s3vl.list_vectors(
           index_name => 'demo-index',
           max_results => 20,
           return_metadata => TRUE)""",
    "SELECT * FROM s3vl.get_config()",
    "SELECT * FROM s3vl.list_indexes()",
    "SELECT * FROM s3vl.get_index_info('demo-index')",
]


@pytest.mark.parametrize("call", REFERENCE_CALLS)
def test_the_reference_integrations_documented_calls_work_verbatim(
    db: psycopg.Connection, call: str
) -> None:
    assert db.execute(call).fetchall()
