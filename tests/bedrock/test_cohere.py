"""Cohere Embed v3 through boto3: batches of texts, input types, truncation, the quantised
embedding types, and its limits."""

from __future__ import annotations

import numpy as np
import pytest

from devstack.bedrock import cohere
from devstack.bedrock.encoder import encoder
from devstack.bedrock.projection import project
from tests.support.bedrock import COHERE, COHERE_MULTILINGUAL, cosine, invoke, refused

TEXTS = ["something to keep my coffee hot", "insulated stainless steel thermos", "LED desk lamp"]
# 600 tokens in 2,048 characters ("1 2 3 ...", one token per digit), its start unlike its end.
LONG = " ".join(["hot"] * 100 + [str(i % 10) for i in range(400)] + ["lamp"] * 100)


def test_texts_come_back_as_unit_floats_in_order_with_an_id(client):
    body, headers = invoke(client, COHERE, {"texts": TEXTS, "input_type": "search_document"})
    assert set(body) == {"id", "texts", "embeddings", "response_type"}
    assert body["response_type"] == "embeddings_floats"
    assert body["texts"] == TEXTS
    assert len(body["id"]) == 36
    vectors = np.array(body["embeddings"])
    assert vectors.shape == (3, 1024)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    singles = [
        invoke(client, COHERE, {"texts": [t], "input_type": "search_document"})[0] for t in TEXTS
    ]
    assert np.allclose([s["embeddings"][0] for s in singles], vectors, atol=1e-5)
    tokens = sum(len(ids) for ids in encoder().token_ids(TEXTS))
    assert int(headers["x-amzn-bedrock-input-token-count"]) == tokens


def test_embedding_types_answer_by_type_each_derived_from_the_floats(client):
    body, _ = invoke(
        client,
        COHERE,
        {
            "texts": TEXTS[:2],
            "input_type": "search_query",
            "embedding_types": list(cohere.EMBEDDING_TYPES),
        },
    )
    assert body["response_type"] == "embeddings_by_type"
    by_type = {kind: np.array(rows) for kind, rows in body["embeddings"].items()}
    assert set(by_type) == set(cohere.EMBEDDING_TYPES)
    floats = by_type["float"]
    assert floats.shape == (2, 1024)
    assert by_type["int8"].min() >= -128 and by_type["int8"].max() <= 127
    assert np.abs(by_type["int8"]).max(axis=1).tolist() == [127, 127]
    assert by_type["uint8"].tolist() == (by_type["int8"] + 128).tolist()
    assert cosine(by_type["int8"][0], floats[0]) > 0.99
    assert by_type["ubinary"].shape == (2, 128)
    assert by_type["ubinary"].tolist() == np.packbits(floats > 0, axis=1).tolist()
    assert by_type["binary"].tolist() == (by_type["ubinary"] - 128).tolist()


def test_input_type_is_checked_but_reads_queries_and_documents_alike(client):
    query, _ = invoke(client, COHERE, {"texts": TEXTS[:1], "input_type": "search_query"})
    document, _ = invoke(client, COHERE, {"texts": TEXTS[:1], "input_type": "search_document"})
    assert query["embeddings"] == document["embeddings"]


def test_the_two_cohere_models_answer_in_different_spaces_with_the_same_angles(client):
    english, _ = invoke(client, COHERE, {"texts": TEXTS, "input_type": "clustering"})
    multi, _ = invoke(client, COHERE_MULTILINGUAL, {"texts": TEXTS, "input_type": "clustering"})
    assert cosine(english["embeddings"][0], multi["embeddings"][0]) < 0.5
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert cosine(english["embeddings"][a], english["embeddings"][b]) == pytest.approx(
            cosine(multi["embeddings"][a], multi["embeddings"][b]), abs=1e-5
        )


def test_no_texts_is_an_empty_answer(client):
    body, _ = invoke(client, COHERE, {"texts": [], "input_type": "search_query"})
    assert body["embeddings"] == []


def test_96_texts_are_one_invocation_and_97_are_refused_naming_texts(client):
    body, _ = invoke(client, COHERE, {"texts": ["a mug"] * 96, "input_type": "search_document"})
    assert len(body["embeddings"]) == 96
    message = refused(client, COHERE, {"texts": ["a mug"] * 97, "input_type": "search_document"})
    assert "#/texts: expected maximum item count: 96, found: 97" in message


def test_a_text_over_2048_characters_is_refused_naming_it(client):
    texts = ["short", "x" * 2049]
    message = refused(client, COHERE, {"texts": texts, "input_type": "search_document"})
    assert "#/texts/1: expected maxLength: 2048, actual: 2049" in message


def test_over_512_tokens_is_refused_unless_truncation_is_asked(client):
    texts = ["short", LONG]
    message = refused(client, COHERE, {"texts": texts, "input_type": "search_document"})
    assert "#/texts/1: has 600 tokens, over the model's limit of 512" in message
    assert "truncate to START or END" in message
    start, start_headers = invoke(
        client, COHERE, {"texts": texts, "input_type": "search_document", "truncate": "START"}
    )
    end, _ = invoke(
        client, COHERE, {"texts": texts, "input_type": "search_document", "truncate": "END"}
    )
    assert int(start_headers["x-amzn-bedrock-input-token-count"]) == 1 + 512
    assert start["texts"] == texts  # the texts are echoed as sent
    assert np.allclose(start["embeddings"][0], end["embeddings"][0], atol=1e-6)
    # START keeps the last 512 tokens, END the first 512: each is what those tokens embed to.
    (ids,) = encoder().token_ids([LONG])
    kept = encoder().encode_ids([ids[-512:], ids[:512]]).vectors
    expected = project(kept, COHERE, cohere.DIMENSION, normalize=True)
    assert np.allclose([start["embeddings"][1], end["embeddings"][1]], expected, atol=1e-5)
    assert not np.allclose(expected[0], expected[1], atol=1e-3)


def test_exactly_512_tokens_needs_no_truncation(client):
    text = " ".join(str(i % 10) for i in range(512))
    body, headers = invoke(client, COHERE, {"texts": [text], "input_type": "search_document"})
    assert headers["x-amzn-bedrock-input-token-count"] == "512"
    assert len(body["embeddings"]) == 1


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"texts": TEXTS}, "#", "required key [input_type] not found"),
        ({"input_type": "search_query"}, "#", "required key [texts] not found"),
        ({"texts": TEXTS, "input_type": "query"}, "#/input_type", "query is not a valid enum"),
        ({"texts": TEXTS, "input_type": "image"}, "#/input_type", "image needs images"),
        ({"texts": "a mug", "input_type": "search_query"}, "#/texts", "found: String"),
        ({"texts": ["a", None], "input_type": "search_query"}, "#/texts/1", "found: Null"),
        (
            {"texts": TEXTS, "input_type": "search_query", "truncate": "MIDDLE"},
            "#/truncate",
            "enum",
        ),
        (
            {"texts": TEXTS, "input_type": "search_query", "embedding_types": ["half"]},
            "#/embedding_types/0",
            "half is not a valid enum value",
        ),
        ({"texts": TEXTS, "input_type": "search_query", "inputText": "x"}, "#", "extraneous key"),
        ({"images": ["data:"], "input_type": "image"}, "#/images", "embeds texts only"),
    ],
)
def test_a_malformed_body_is_a_validation_error_naming_the_field(client, body, field, problem):
    message = refused(client, COHERE, body)
    assert message.startswith(f"Malformed input request: {field}: ")
    assert problem in message
