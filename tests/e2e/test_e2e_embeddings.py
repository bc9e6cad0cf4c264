"""Text to vectors from SQL through the whole local path (SQL -> compat aws_lambda.invoke -> the
Invoke endpoint -> the real bridge -> the local Bedrock Runtime and the local S3 Vectors
service): s3vl.embed, put_texts and query_text with the model the registry records, Titan and
Cohere, counted at the local Bedrock; a model the function may not call, and texts only Bedrock
can refuse, fail without writing anything."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from devstack.stack import IndexSpec, LocalStack
from tests.support.bedrock import cosine, make_client
from tests.support.bedrock import invoke as invoke_bedrock
from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
NOT_ALLOWED = "cohere.embed-multilingual-v3"
PRODUCTS = {
    "thermos": "Stainless steel vacuum thermos that keeps drinks hot for twelve hours",
    "lamp": "Dimmable LED desk lamp with an adjustable arm",
    "boots": "Waterproof leather hiking boots with a grippy rubber sole",
    "blanket": "Soft wool throw blanket for cold evenings on the sofa",
    "kettle": "Electric kettle that boils a liter of water in four minutes",
    "headphones": "Wireless noise cancelling headphones with a thirty hour battery",
}
QUESTION = "something to keep my coffee hot"


@pytest.fixture(scope="module")
def stack(cluster: TemporaryCluster) -> Iterator[LocalStack]:
    """A stack of its own: `shop` (256 dimensions, Titan's smallest) and `cohere-shop` (1,024),
    the bridge allowed Titan and Cohere English but not Cohere multilingual."""
    with LocalStack(
        cluster=cluster,
        bucket="s3vl-embed",
        indexes=(IndexSpec("shop", 256), IndexSpec("cohere-shop", 1024)),
        database=None,
        bridge_environment={"S3VL_EMBEDDING_MODELS": f"{TITAN},{COHERE}", "S3VL_MAX_ATTEMPTS": "1"},
    ) as local:
        yield local


@pytest.fixture(scope="module")
def dsn(stack: LocalStack) -> str:
    dsn = stack.add_database("e2e_embeddings")
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT s3vl.set_embedding_model('shop', %s)", [TITAN]).fetchone() == (
            TITAN,
        )
        conn.execute("SELECT s3vl.set_embedding_model('cohere-shop', %s)", [COHERE])
    return dsn


@pytest.fixture
def db(dsn: str, stack: LocalStack) -> Iterator[psycopg.Connection]:
    """Autocommit (writes to S3 Vectors are not transactional anyway), the indexes emptied."""
    for index in ("shop", "cohere-shop"):
        keys = list(held(stack, index))
        if keys:
            stack.client.delete_vectors(vectorBucketName=stack.bucket, indexName=index, keys=keys)
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


class Count:
    """InvokeModel requests the local Bedrock received since it was made."""

    def __init__(self, stack: LocalStack) -> None:
        self.bedrock = stack.bedrock
        self.since = stack.bedrock.last_sequence()

    @property
    def sent(self) -> list[tuple[str, dict]]:
        return [(r.model_id, r.json()) for r in self.bedrock.received(after=self.since)]


def held(stack: LocalStack, index: str) -> dict[str, dict]:
    page = stack.client.list_vectors(vectorBucketName=stack.bucket, indexName=index,
                                     returnMetadata=True, maxResults=1000)  # fmt: skip
    return {v["key"]: v.get("metadata") or {} for v in page["vectors"]}


def put_products(db: psycopg.Connection, index: str = "shop") -> int:
    return db.execute(
        "SELECT s3vl.put_texts(%s, %s, %s, text_key => 'text')",
        [index, list(PRODUCTS), list(PRODUCTS.values())],
    ).fetchone()[0]


def test_embed_returns_the_model_s_vector_as_real_array(db, stack):
    count = Count(stack)
    (vector,) = db.execute("SELECT s3vl.embed('a steel thermos')").fetchone()
    assert len(vector) == 1024
    assert np.isclose(np.linalg.norm(vector), 1, atol=1e-5)
    direct, _ = invoke_bedrock(
        make_client(stack.bedrock_url), TITAN, {"inputText": "a steel thermos"}
    )
    assert cosine(vector, direct["embedding"]) > 0.999999
    assert count.sent[0] == (TITAN, {"inputText": "a steel thermos", "dimensions": 1024,
                                     "normalize": True})  # fmt: skip
    (small,) = db.execute("SELECT s3vl.embed('a steel thermos', index_name => 'shop')").fetchone()
    assert len(small) == 256


def test_embed_many_gives_one_row_per_text_in_order(db, stack):
    texts = [f"product {i}: a thermos" if i % 2 else f"product {i}: a lamp" for i in range(300)]
    count = Count(stack)
    (rows,) = db.execute(
        "SELECT s3vl.embed(%s::text[], index_name => 'cohere-shop')", [texts]
    ).fetchone()
    assert np.asarray(rows).shape == (300, 1024)
    # Two invocations (256 + 44 texts), each in Cohere's batches of 96: 96+96+64 and 44.
    assert sorted(len(body["texts"]) for _, body in count.sent) == [44, 64, 96, 96]
    assert {body["input_type"] for _, body in count.sent} == {"search_document"}
    (one,) = db.execute("SELECT s3vl.embed(%s, model => %s)", [texts[7], COHERE]).fetchone()
    assert cosine(rows[7], one) > 0.999999


def test_put_texts_then_a_question_in_words_finds_the_thermos(db, stack):
    assert put_products(db) == len(PRODUCTS)
    assert held(stack, "shop") == {key: {"text": text} for key, text in PRODUCTS.items()}
    count = Count(stack)
    rows = db.execute(
        "SELECT vector_id, similarity_score, metadata ->> 'text' FROM s3vl.query_text(%s, 'shop',"
        " top_k => 6)",
        [QUESTION],
    ).fetchall()
    assert rows[0][0] == "thermos"
    assert rows[0][2] == PRODUCTS["thermos"]
    assert [key for key, _, _ in rows].index("lamp") > 0
    assert count.sent == [(TITAN, {"inputText": QUESTION, "dimensions": 256, "normalize": True})]


def test_query_text_finds_what_query_vectors_finds_with_embed(db, stack):
    put_products(db)
    by_text = db.execute(
        "SELECT vector_id, distance FROM s3vl.query_text(%s, 'shop', top_k => 6)", [QUESTION]
    ).fetchall()
    by_vector = db.execute(
        "SELECT q.vector_id, q.distance FROM s3vl.query_vectors(s3vl.embed(%s, index_name =>"
        " 'shop', input_type => 'search_query'), 'shop', top_k => 6) AS q",
        [QUESTION],
    ).fetchall()
    assert [k for k, _ in by_text] == [k for k, _ in by_vector]
    assert np.allclose([d for _, d in by_text], [d for _, d in by_vector], atol=1e-6)


def test_cohere_stores_documents_and_asks_with_a_search_query(db, stack):
    count = Count(stack)
    put_products(db, "cohere-shop")
    rows = db.execute(
        "SELECT vector_id FROM s3vl.query_text(%s, 'cohere-shop')", [QUESTION]
    ).fetchall()
    assert rows[0] == ("thermos",)
    assert [body["input_type"] for _, body in count.sent] == ["search_document", "search_query"]


def test_a_model_the_function_may_not_call_is_refused_without_a_bedrock_call(db, stack):
    count = Count(stack)
    error = sql_error(db, "SELECT s3vl.embed('a', model => %s)", [NOT_ALLOWED])
    assert error.sqlstate == "42501"
    assert 'field "model_id"' in error.diag.message_primary
    assert "S3VL_EMBEDDING_MODELS" in error.diag.message_primary
    error = sql_error(db, "SELECT s3vl.set_embedding_model('cohere-shop', %s)", [NOT_ALLOWED])
    assert error.sqlstate == "42501"
    assert f"{TITAN}, {COHERE}" in error.diag.message_detail
    assert count.sent == []
    assert db.execute("SELECT model_id FROM s3vl.embedding_model('cohere-shop')").fetchone() == (
        COHERE,
    )


def test_a_bad_text_among_many_writes_nothing_and_calls_no_model(db, stack):
    count = Count(stack)
    texts = [*PRODUCTS.values(), None]
    error = sql_error(db, "SELECT s3vl.put_texts('shop', %s, %s)",
                      [[*PRODUCTS, "none"], texts])  # fmt: skip
    assert (error.sqlstate, 'argument "texts[7]"' in error.diag.message_primary) == ("22023", True)
    assert count.sent == []
    assert held(stack, "shop") == {}


def test_a_text_only_bedrock_can_refuse_names_it_and_writes_nothing(db, stack):
    # Within Titan's 50,000 characters but over its 8,192 tokens: Bedrock counts tokens.
    texts = [*PRODUCTS.values(), "x " * 9_000]
    error = sql_error(db, "SELECT s3vl.put_texts('shop', %s, %s)", [[*PRODUCTS, "long"], texts])
    assert error.sqlstate == "22023"
    assert 'field "texts[6]"' in error.diag.message_primary
    assert "tokens" in error.diag.message_primary
    assert held(stack, "shop") == {}
