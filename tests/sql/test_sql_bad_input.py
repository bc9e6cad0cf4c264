"""Every bad argument raises before any invocation, with a SQLSTATE, the argument's name in the
message and a HINT. The database is configured for an endpoint nobody listens on, so a call
that got past its checks would fail differently (58000 "invoke API failed")."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import DEMO_ARN, sql_error

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"
V6 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]"  # one more than demo-index's dimension
BAD_CALLS = [
    # query_vectors
    ("SELECT * FROM s3vl.query_vectors(NULL::float8[], 'demo-index')", "22023", "query_vector"),
    ("SELECT * FROM s3vl.query_vectors('{}'::float8[], 'demo-index')", "22023", "query_vector"),
    ("SELECT * FROM s3vl.query_vectors(ARRAY[0.1, 0.2], 'demo-index')", "22023", "query_vector"),
    (f"SELECT * FROM s3vl.query_vectors({V6}, 'demo-index')", "22023", "query_vector"),
    (
        "SELECT * FROM s3vl.query_vectors(ARRAY[[0.1, 0.2], [0.3, 0.4]]::float8[], 'demo-index')",
        "22023",
        "query_vector",
    ),
    (
        "SELECT * FROM s3vl.query_vectors("
        "ARRAY[0.1, 'NaN', 0.3, 0.4, 0.5]::float8[], 'demo-index')",
        "22023",
        "query_vector",
    ),
    (
        "SELECT * FROM s3vl.query_vectors(ARRAY[0.1, NULL, 0.3, 0.4, 0.5]::real[], 'demo-index')",
        "22023",
        "query_vector",
    ),
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', top_k => 0)", "22023", "top_k"),
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', top_k => 10001)", "22023", "top_k"),
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', top_k => NULL)", "22023", "top_k"),
    (f"SELECT * FROM s3vl.query_vectors({V5})", "22023", "index_name"),
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', '{DEMO_ARN}')", "22023", "index_arn"),
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'no-such-index')", "42704", "index_name"),
    (
        f"SELECT * FROM s3vl.query_vectors({V5}, index_arn => 'arn:aws:s3:::demo-bucket')",
        "22023",
        "index_arn",
    ),
    (
        f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', metadata_filter => '[1]')",
        "22023",
        "metadata_filter",
    ),
    (
        f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', return_metadata => NULL)",
        "22023",
        "return_metadata",
    ),
    (
        f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', query_mode => 'FAST')",
        "22023",
        "query_mode",
    ),
    # query_vectors_batch
    (
        "SELECT * FROM s3vl.query_vectors_batch(NULL::float8[], 'demo-index')",
        "22023",
        "query_vectors",
    ),
    (f"SELECT * FROM s3vl.query_vectors_batch({V5}, 'demo-index')", "22023", "query_vectors"),
    (
        f"SELECT * FROM s3vl.query_vectors_batch(ARRAY[{V6}], 'demo-index')",
        "22023",
        "query_vectors",
    ),
    (
        "SELECT * FROM s3vl.query_vectors_batch(ARRAY[[0.1, 0.2], [0.3, 0.4]], 'demo-index')",
        "22023",
        "query_vectors",
    ),
    (
        "SELECT * FROM s3vl.query_vectors_batch("
        "ARRAY[[0.1, 0.2, 0.3, 0.4, 'Infinity']]::float8[], 'demo-index')",
        "22023",
        "query_vectors",
    ),
    (
        "SELECT * FROM s3vl.query_vectors_batch("
        "array_fill(0.5::float8, ARRAY[101, 5]), 'demo-index')",
        "22023",
        "query_vectors",
    ),
    (
        f"SELECT * FROM s3vl.query_vectors_batch(ARRAY[{V5}], 'demo-index', top_k => -1)",
        "22023",
        "top_k",
    ),
    # get_vectors
    ("SELECT * FROM s3vl.get_vectors(NULL, 'demo-index')", "22023", "vector_ids"),
    ("SELECT * FROM s3vl.get_vectors('{}', 'demo-index')", "22023", "vector_ids"),
    ("SELECT * FROM s3vl.get_vectors(ARRAY['a', NULL], 'demo-index')", "22023", "vector_ids"),
    ("SELECT * FROM s3vl.get_vectors(ARRAY['a', ''], 'demo-index')", "22023", "vector_ids"),
    (
        "SELECT * FROM s3vl.get_vectors(ARRAY[repeat('k', 1025)], 'demo-index')",
        "22023",
        "vector_ids",
    ),
    ("SELECT * FROM s3vl.get_vectors(ARRAY['a'])", "22023", "index_name"),
    (
        "SELECT * FROM s3vl.get_vectors(ARRAY['a'], 'demo-index', include_metadata => NULL)",
        "22023",
        "include_metadata",
    ),
    # list_vectors
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index', max_results => 0)",
        "22023",
        "max_results",
    ),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index', max_results => 1001)",
        "22023",
        "max_results",
    ),
    ("SELECT * FROM s3vl.list_vectors()", "22023", "index_name"),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index', next_token => '')",
        "22023",
        "next_token",
    ),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index', segment_count => 4)",
        "22023",
        "segment_index",
    ),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index',"
        " segment_count => 17, segment_index => 0)",
        "22023",
        "segment_count",
    ),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index',"
        " segment_count => 4, segment_index => 4)",
        "22023",
        "segment_index",
    ),
    # scan_vectors
    ("SELECT * FROM s3vl.scan_vectors('demo-index', page_size => 0)", "22023", "page_size"),
    ("SELECT * FROM s3vl.scan_vectors('no-such-index')", "42704", "index_name"),
    # the import_bucket function
    ("SELECT * FROM s3vl.import_bucket(NULL)", "22023", "bucket"),
    ("SELECT * FROM s3vl.import_bucket('Not_A_Bucket')", "22023", "bucket"),
]


@pytest.mark.parametrize(("call", "sqlstate", "argument"), BAD_CALLS)
def test_a_bad_argument_is_refused_before_invoking(
    db: psycopg.Connection, call: str, sqlstate: str, argument: str
) -> None:
    error = sql_error(db, call)
    assert error.sqlstate == sqlstate, error.diag.message_primary
    assert f'"{argument}"' in (error.diag.message_primary or "") + (error.diag.message_detail or "")
    assert error.diag.message_hint


def test_an_inactive_index_is_refused_with_a_hint_to_activate_it(db: psycopg.Connection) -> None:
    db.execute("SELECT s3vl.deactivate_index('demo-index')")
    error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
    assert error.sqlstate == "55000"
    assert "deactivated" in error.diag.message_primary
    assert "s3vl.activate_index('demo-index')" in error.diag.message_hint


def test_a_call_without_configuration_says_to_configure(db: psycopg.Connection) -> None:
    db.execute("DELETE FROM s3vl.config")
    error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
    assert error.sqlstate == "55000"
    assert "not configured" in error.diag.message_primary
    assert "s3vl.configure(" in error.diag.message_hint


def test_a_call_that_passes_its_checks_reaches_the_endpoint(db: psycopg.Connection) -> None:
    # The counterpart of the tests above: the closed endpoint answers every real invocation
    # with the compat layer's 58000, wrapped with the function's name.
    error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
    assert error.sqlstate == "58000"
    assert error.diag.message_primary.startswith(
        "s3vl.query_vectors: invoking the Lambda function failed"
    )
    assert "validate_config" in error.diag.message_hint


@pytest.mark.parametrize("literal", [V5, f"{V5}::real[]", f"{V5}::float8[]", f"{V5}::numeric[]"])
def test_query_vectors_accepts_numeric_real_and_double_arrays(
    db: psycopg.Connection, literal: str
) -> None:
    # Each overload gets past its checks to the (closed) endpoint.
    error = sql_error(
        db, f"SELECT * FROM s3vl.query_vectors({literal}, index_name => 'demo-index')"
    )
    assert error.sqlstate == "58000"
