"""query_vectors with embed_query: a text embedded and searched in one invocation, through the
real handler, the local Bedrock Runtime and the local S3 Vectors service. Every request that
cannot search (a bad text, model or dimension, an index not served) is refused before any
InvokeModel; the vector found is the one embed gives for the text."""

from __future__ import annotations

import json

import numpy as np
import pytest
from s3vl_bridge import client

from tests.support.bedrock import invoke as invoke_bedrock
from tests.support.bedrock import make_client
from tests.support.bridge import (
    BUCKET,
    BUCKET_ARN,
    COHERE,
    HIDDEN_ARN,
    NOT_SERVED_MODEL,
    TITAN,
    ok,
    refused,
)
from tests.support.s3vectors import create_index

SHOP_ARN = f"{BUCKET_ARN}/index/shop"  # cosine, 256 dimensions: Titan's smallest
PRODUCTS = {
    "thermos": "Insulated stainless steel thermos bottle, keeps drinks hot for 12 hours",
    "lamp": "Dimmable LED desk lamp with an adjustable arm",
    "boots": "Waterproof leather hiking boots with a grippy sole",
    "blanket": "Soft wool throw blanket for the sofa",
}
QUESTION = "something to keep my coffee hot"


@pytest.fixture
def counted(s3v, bedrock):
    """s3v.sent counts the S3 Vectors calls of the container the `bedrock` fixture made anew
    (its client is not the one `s3v` watched)."""

    def record(request, **_):
        s3v.sent.append(request.url.rsplit("/", 1)[-1])

    client.s3vectors().meta.events.register("before-send.s3vectors", record)
    return s3v


@pytest.fixture
def shop(counted, bedrock):
    """Index `shop` of the served bucket holding PRODUCTS as Titan embeds them (256 values),
    written behind the bridge's back; the test starts counting Bedrock's calls after."""
    s3v = counted
    searchable = {"textSearchConfigurations": [{"metadataKey": "text"}]}
    create_index(s3v.aws, BUCKET, "shop", 256, "cosine", metadataConfiguration=searchable)
    direct = make_client(bedrock.server.url)
    vectors = []
    for key, text in PRODUCTS.items():
        answer, _ = invoke_bedrock(direct, TITAN, {"inputText": text, "dimensions": 256})
        vectors.append({"key": key, "data": {"float32": answer["embedding"]},
                        "metadata": {"text": text}})  # fmt: skip
    s3v.aws.put_vectors(indexArn=SHOP_ARN, vectors=vectors)
    bedrock.since = bedrock.server.last_sequence()
    s3v.sent.clear()
    return bedrock


def query(**fields):
    return {"operation": "query_vectors", "index_arn": SHOP_ARN, **fields}


def test_a_question_in_words_finds_the_thermos_in_one_invocation(invoke, s3v, shop):
    rows = ok(invoke(query(embed_query={"text": QUESTION, "dimension": 256}, top_k=4)))
    assert [r["vector_id"] for r in rows][:1] == ["thermos"]
    assert rows[0]["similarity_score"] > rows[-1]["similarity_score"]
    assert [r["vector_id"] for r in rows].index("lamp") > 0
    # One InvokeModel, Titan's shape, the question as it was asked; then one search.
    assert [(s.model_id, s.body) for s in shop.sent] == [
        (TITAN, {"inputText": QUESTION, "dimensions": 256, "normalize": True})
    ]
    assert s3v.sent.count("QueryVectors") == 1


def test_the_search_uses_the_vector_embed_gives_for_the_text(invoke, s3v, shop):
    (vector,) = ok(invoke({"operation": "embed", "texts": [QUESTION], "dimension": 256}))[
        "embeddings"
    ]
    by_vector = ok(invoke(query(query_vector=vector, top_k=4)))
    by_text = ok(invoke(query(embed_query={"text": QUESTION, "dimension": 256}, top_k=4)))
    assert [r["vector_id"] for r in by_text] == [r["vector_id"] for r in by_vector]
    assert np.allclose([r["distance"] for r in by_text], [r["distance"] for r in by_vector])


def test_cohere_embeds_the_question_as_a_search_query(invoke, s3v, counted, bedrock):
    create_index(s3v.aws, BUCKET, "cohere-shop", 1024, "cosine")
    bedrock.since = bedrock.server.last_sequence()
    ok(invoke(query(index_arn=f"{BUCKET_ARN}/index/cohere-shop",
                    embed_query={"text": QUESTION, "model_id": COHERE})))  # fmt: skip
    assert [(s.model_id, s.body["input_type"]) for s in bedrock.sent] == [(COHERE, "search_query")]


def test_embed_query_with_query_texts_is_a_hybrid_search(invoke, s3v, shop):
    rows = ok(invoke(query(embed_query={"text": QUESTION, "dimension": 256},
                           query_texts=[{"metadata_key": "text", "text": "thermos"}],
                           return_scores=True, top_k=4)))  # fmt: skip
    assert rows[0]["vector_id"] == "thermos"
    assert set(rows[0]["bm25_scores"]) == {"text"}
    assert rows[0]["fused_score"] is not None and rows[0]["vector_distance"] is not None
    assert len(shop.sent) == 1
    assert s3v.sent.count("QueryVectors") == 1


@pytest.mark.parametrize(
    ("embed_query", "extra", "field", "fragment"),
    [
        ({"text": ""}, {}, "embed_query.text", "is empty"),
        ({"text": "  \n"}, {}, "embed_query.text", "is empty"),
        ({"text": None}, {}, "embed_query.text", "valid string"),
        ({}, {}, "embed_query.text", "required field is missing"),
        ({"text": "x" * 50_001, "dimension": 256}, {}, "embed_query.text", "50,001 characters"),
        ({"text": "x" * 2_049, "model_id": COHERE}, {}, "embed_query.text", "2,049 characters"),
        ({"text": "a", "model_id": "openai.text-embedding-3"}, {}, "embed_query.model_id",
         "not an embedding model"),
        ({"text": "a", "dimension": 384}, {}, "embed_query.dimension", "not 384"),
        ({"text": "a", "dimension": 512}, {}, "embed_query.dimension",
         "would answer 512 values but the index has dimension 256"),
        ({"text": "a"}, {}, "embed_query.dimension", "would answer 1024 values"),
        ({"text": "a", "model_id": COHERE}, {}, "embed_query.dimension", "index has dimension 256"),
        ({"text": "a", "model_id": COHERE, "normalize": False}, {}, "embed_query.normalize",
         "unit-length"),
        ({"text": "a", "input_type": "query"}, {}, "embed_query.input_type", "search_query"),
        ({"text": "a", "dimensions": 256}, {}, "embed_query.dimensions", "unknown field"),
        ({"text": "a", "dimension": 256}, {"query_vector": [0.1] * 256}, "embed_query",
         "not both"),
        ("a question", {}, "embed_query", "valid dictionary"),
    ],
)  # fmt: skip
def test_a_request_that_cannot_search_is_refused_before_any_invocation(
    invoke, s3v, shop, embed_query, extra, field, fragment
):
    error = refused(invoke(query(embed_query=embed_query, **extra)))
    assert error["type"] == "ValidationError"
    assert error["field"] == field, error
    assert fragment in error["message"], error["message"]
    assert shop.sent == []
    assert "QueryVectors" not in s3v.sent


def test_a_model_the_function_is_not_allowed_is_refused_without_a_call(
    invoke, s3v, counted, bedrock
):
    create_index(s3v.aws, BUCKET, "multi", 1024, "cosine")
    multi = f"{BUCKET_ARN}/index/multi"
    error = refused(
        invoke(query(index_arn=multi, embed_query={"text": "a", "model_id": NOT_SERVED_MODEL}))
    )
    assert (error["type"], error["field"]) == ("AccessDenied", "embed_query.model_id")
    assert "S3VL_EMBEDDING_MODELS" in error["message"]
    assert bedrock.sent == []


def test_an_index_not_served_costs_no_bedrock_call(invoke, s3v, shop):
    error = refused(invoke(query(index_arn=HIDDEN_ARN, embed_query={"text": QUESTION})))
    assert error["type"] == "AccessDenied"
    assert shop.sent == []
    assert s3v.sent == []


def test_a_throttled_bedrock_is_retryable_and_nothing_is_searched(invoke, s3v, shop):
    shop.server.faults.inject(code="ThrottlingException", times=10, model_id=TITAN)
    error = refused(invoke(query(embed_query={"text": QUESTION, "dimension": 256})))
    assert (error["type"], error["retryable"]) == ("Throttled", True)
    assert "QueryVectors" not in s3v.sent


def test_bedrock_refusing_the_text_names_embed_query_text(invoke, s3v, shop):
    # Titan's token limit is Bedrock's to count: 9,000 tokens of "x " fit in 50,000 characters.
    text = "x " * 9_000
    error = refused(invoke(query(embed_query={"text": text, "dimension": 256})))
    assert (error["type"], error["field"]) == ("ValidationError", "embed_query.text")
    assert "tokens" in error["message"]
    assert "QueryVectors" not in s3v.sent
    assert json.dumps(error).count("texts[0]") == 0


def test_embed_query_embeds_with_the_fields_an_embed_request_would_take():
    """Every field of embed_query reaches the embed it makes (none left at embed's default)."""
    from s3vl_bridge.models.embed import Embed, EmbedQuery

    fields = {
        "model_id": COHERE,
        "dimension": 1024,
        "normalize": True,
        "input_type": "classification",
        "truncate": "START",
    }
    made = EmbedQuery.model_validate({"text": "a steel flask", **fields}).as_embed()
    same = Embed.model_validate({"operation": "embed", "texts": ["a steel flask"], **fields})
    assert made == same
