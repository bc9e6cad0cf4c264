"""The limits s3vl checks are spelled in three layers that must agree (shared/DESIGN.md, the
S3 Vectors facts): SQL (s3vl._limits(), read here from a real database), the bridge
(s3vl_bridge.limits) and the local stand-ins of AWS (devstack). None: the layer does not
check that limit."""

from __future__ import annotations

import psycopg
import pytest
from s3vl_bridge import limits as bridge

from devstack.lambda_invoke import server as local_lambda
from devstack.s3vectors import limits as service

pytestmark = pytest.mark.slow

# (name in s3vl._limits(), the bridge's, the local service's)
LIMITS = [
    ("dimension", bridge.DIMENSION_MAX, service.MAX_DIMENSION),
    ("top_k", bridge.TOP_K_MAX, service.MAX_TOP_K),
    ("query_batch", bridge.BATCH_QUERIES_MAX, None),
    ("list_page", bridge.LIST_MAX_RESULTS, service.MAX_LIST_RESULTS),
    ("segments", bridge.SEGMENT_COUNT_MAX, service.MAX_SEGMENTS),
    ("put_vectors", bridge.PUT_CHUNK, service.MAX_PUT_VECTORS),
    # One put_vectors invocation from SQL is one wave of the bridge's concurrent chunks.
    ("put_batch", bridge.PUT_CHUNK * bridge.WRITE_LANES, None),
    ("delete_keys", bridge.DELETE_CHUNK, service.MAX_DELETE_KEYS),
    ("key_length", bridge.KEY_LENGTH_MAX, service.MAX_KEY_LENGTH),
    ("metadata_bytes", bridge.METADATA_TOTAL_BYTES, service.MAX_METADATA_BYTES),
    (
        "filterable_metadata_bytes",
        bridge.METADATA_FILTERABLE_BYTES,
        service.MAX_FILTERABLE_METADATA_BYTES,
    ),
    ("metadata_keys", bridge.METADATA_KEYS_MAX, service.MAX_METADATA_KEYS),
    ("float32_max", bridge.FLOAT32_MAX, service.FLOAT32_MAX),
    ("float64_max", bridge.FLOAT64_MAX, service.FLOAT64_MAX),
    # Lambda's request payload: the bridge holds the response's (6,291,556 bytes) instead, and
    # the local Lambda endpoint stands in for Lambda.
    ("lambda_request_bytes", None, local_lambda.MAX_SYNC_REQUEST_BYTES),
    ("filter_depth", bridge.FILTER_DEPTH_MAX, service.MAX_FILTER_DEPTH),
    ("query_texts", bridge.QUERY_TEXTS_MAX, service.MAX_QUERY_TEXTS),
    ("query_text_length", bridge.QUERY_TEXT_LENGTH_MAX, service.MAX_QUERY_TEXT_LENGTH),
    ("searchable_keys", bridge.TEXT_SEARCH_KEYS_MAX, service.MAX_TEXT_SEARCH_KEYS),
    ("metadata_key_length", bridge.METADATA_KEY_LENGTH_MAX, service.MAX_METADATA_KEY_LENGTH),
    ("embed_texts", bridge.EMBED_TEXTS_MAX, None),
]


def test_sql_the_bridge_and_the_local_services_state_the_same_limits(
    db: psycopg.Connection,
) -> None:
    # numeric -> float is exact for every value here (integers, and the float maxima SQL spells
    # with their shortest decimal digits).
    sql = {name: float(value) for name, value in db.execute("SELECT * FROM s3vl._limits()")}
    assert sorted(sql) == sorted(name for name, _, _ in LIMITS), "a SQL limit is not compared"
    table = [(name, sql[name], in_bridge, in_service) for name, in_bridge, in_service in LIMITS]
    disagree = [row for row in table if any(other not in (None, row[1]) for other in row[2:])]
    assert disagree == []


def test_sql_the_bridge_and_the_local_bedrock_know_the_same_embedding_models(
    db: psycopg.Connection,
) -> None:
    from s3vl_bridge.embedding import DEFAULT_MODEL, KNOWN_MODELS

    from devstack.bedrock.catalog import MODELS

    sql = db.execute(
        "SELECT model_id, dimensions, characters_max, chooses_normalization, takes_input_type,"
        " is_default FROM s3vl.embedding_models()"
    ).fetchall()
    in_bridge = [
        (m.model_id, list(m.dimensions), m.characters_max, m.chooses_normalization,
         m.family == "cohere", m.model_id == DEFAULT_MODEL)
        for m in KNOWN_MODELS.values()
    ]  # fmt: skip
    assert sorted(sql) == sorted(in_bridge)
    assert sorted(MODELS) == sorted(KNOWN_MODELS)


# Names on both sides of each rule: length 3..63, first and last a letter or digit, lowercase,
# dots in index names only.
NAMES = ["abc", "a-b", "a.b", "my-bucket-1", "a" * 63, "a" * 64, "ab", "-ab", "ab-", "Abc",
         "a_b", "a b", "ab.", ".ab", "ab\n"]  # fmt: skip


@pytest.mark.parametrize("kind", ["bucket", "index"])
def test_sql_the_bridge_the_local_service_and_infra_accept_the_same_names(
    db: psycopg.Connection, kind: str
) -> None:
    from s3vl_bridge import arns

    from devstack.s3vectors import backend
    from infra import config

    def sql_accepts(name: str) -> bool:
        bucket, index = (name, "idx") if kind == "bucket" else ("bkt", name)
        arn = f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{bucket}/index/{index}"
        try:
            with db.transaction():
                db.execute("SELECT s3vl._check_index_arn('test', 'index_arn', %s)", [arn])
        except psycopg.errors.InvalidParameterValue:
            return False
        return True

    layers = {
        "bucket": (arns.BUCKET_NAME, backend._BUCKET_NAME, config._BUCKET_NAME),
        "index": (arns.INDEX_NAME, backend._INDEX_NAME, config._INDEX_NAME),
    }[kind]
    table = [
        (name, sql_accepts(name), *(bool(p.fullmatch(name)) for p in layers)) for name in NAMES
    ]
    disagree = [row for row in table if len(set(row[1:])) > 1]
    assert disagree == []
    assert {row[1] for row in table} == {True, False}  # the samples reach both sides
