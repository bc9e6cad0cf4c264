"""Titan Text Embeddings V2 through boto3: its request and response shapes, its options, its
limits and the errors that name the field."""

from __future__ import annotations

import numpy as np
import pytest

from devstack.bedrock import titan
from devstack.bedrock.errors import BedrockError
from tests.support.bedrock import TITAN, cosine, invoke, refused

COFFEE = "something to keep my coffee hot"


def test_the_default_answer_is_1024_unit_floats_with_the_token_count(client):
    body, headers = invoke(client, TITAN, {"inputText": COFFEE})
    assert set(body) == {"embedding", "inputTextTokenCount", "embeddingsByType"}
    assert len(body["embedding"]) == 1024
    assert np.linalg.norm(body["embedding"]) == pytest.approx(1, abs=1e-5)
    assert body["embeddingsByType"] == {"float": body["embedding"]}
    # "something to keep my coffee hot": six words, each one WordPiece token
    assert body["inputTextTokenCount"] == 6
    assert headers["x-amzn-bedrock-input-token-count"] == "6"
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("dimension", titan.DIMENSIONS)
def test_each_dimension_answers_that_many_unit_floats(client, dimension):
    body, _ = invoke(client, TITAN, {"inputText": COFFEE, "dimensions": dimension})
    assert len(body["embedding"]) == dimension
    assert np.linalg.norm(body["embedding"]) == pytest.approx(1, abs=1e-5)


def test_the_same_text_gives_the_same_vector(client):
    first, _ = invoke(client, TITAN, {"inputText": COFFEE})
    again, _ = invoke(client, TITAN, {"inputText": COFFEE, "normalize": True})
    assert first["embedding"] == again["embedding"]


def test_512_and_1024_keep_the_encoders_angles_exactly_and_256_nearly(client):
    texts = [COFFEE, "insulated stainless steel thermos", "LED desk lamp", "a mug"]
    by_dimension = {
        d: [invoke(client, TITAN, {"inputText": t, "dimensions": d})[0]["embedding"] for t in texts]
        for d in titan.DIMENSIONS
    }
    pairs = [(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))]
    full = [cosine(by_dimension[1024][i], by_dimension[1024][j]) for i, j in pairs]
    assert [cosine(by_dimension[512][i], by_dimension[512][j]) for i, j in pairs] == pytest.approx(
        full, abs=1e-5
    )
    narrow = [cosine(by_dimension[256][i], by_dimension[256][j]) for i, j in pairs]
    assert narrow == pytest.approx(full, abs=0.1)
    assert narrow != pytest.approx(full, abs=1e-5)  # a projection, not a copy


def test_normalize_false_keeps_the_direction_but_not_unit_length(client):
    unit, _ = invoke(client, TITAN, {"inputText": COFFEE})
    raw, _ = invoke(client, TITAN, {"inputText": COFFEE, "normalize": False})
    assert np.linalg.norm(raw["embedding"]) != pytest.approx(1, abs=1e-3)
    assert cosine(raw["embedding"], unit["embedding"]) == pytest.approx(1, abs=1e-6)


def test_binary_embeddings_are_the_signs_of_the_floats(client):
    body, _ = invoke(
        client,
        TITAN,
        {"inputText": COFFEE, "dimensions": 256, "embeddingTypes": ["binary", "float"]},
    )
    floats, bits = body["embeddingsByType"]["float"], body["embeddingsByType"]["binary"]
    assert floats == body["embedding"]
    assert bits == [int(value > 0) for value in floats]
    assert 0 < sum(bits) < 256


def test_a_text_longer_than_the_encoders_window_is_read_whole(client):
    """Past 254 tokens the encoder reads windows: what comes after the first window counts."""
    filler = "the weather report for the coast said nothing of note today. " * 30
    assert filler.count(" ") > 300
    plain, _ = invoke(client, TITAN, {"inputText": filler})
    with_tail, _ = invoke(client, TITAN, {"inputText": filler + "coffee thermos " * 100})
    assert plain["inputTextTokenCount"] > 254
    assert with_tail["inputTextTokenCount"] >= plain["inputTextTokenCount"] + 200
    assert cosine(plain["embedding"], with_tail["embedding"]) < 0.95


def test_the_model_may_be_named_by_its_foundation_model_arn(client):
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{TITAN}"
    by_arn, _ = invoke(client, arn, {"inputText": COFFEE})
    by_id, _ = invoke(client, TITAN, {"inputText": COFFEE})
    assert by_arn == by_id


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({}, "#", "required key [inputText] not found"),
        ({"inputText": COFFEE, "texts": [COFFEE]}, "#", "extraneous key [texts]"),
        ({"inputText": ""}, "#/inputText", "expected minLength: 1, actual: 0"),
        ({"inputText": None}, "#/inputText", "expected type: String, found: Null"),
        ({"inputText": 7}, "#/inputText", "expected type: String, found: Integer"),
        ({"inputText": "x", "dimensions": 384}, "#/dimensions", "384 is not a valid enum value"),
        ({"inputText": "x", "dimensions": "256"}, "#/dimensions", "found: String"),
        ({"inputText": "x", "dimensions": True}, "#/dimensions", "found: Boolean"),
        ({"inputText": "x", "normalize": "yes"}, "#/normalize", "expected type: Boolean"),
        ({"inputText": "x", "embeddingTypes": []}, "#/embeddingTypes", "minimum item count: 1"),
        ({"inputText": "x", "embeddingTypes": ["int8"]}, "#/embeddingTypes/0", "not a valid enum"),
        (["x"], "#", "expected type: JSONObject, found: JSONArray"),
    ],
)
def test_a_malformed_body_is_a_validation_error_naming_the_field(client, body, field, problem):
    message = refused(client, TITAN, body)
    assert message.startswith(f"Malformed input request: {field}: ")
    assert problem in message


def test_over_50000_characters_is_refused_naming_input_text(client):
    message = refused(client, TITAN, {"inputText": "a" * (titan.MAX_CHARACTERS + 1)})
    assert "#/inputText: expected maxLength: 50000, actual: 50001" in message


def test_over_8192_tokens_is_refused_with_the_count(client):
    text = "1 " * (titan.MAX_TOKENS + 1)  # one token per digit, within 50,000 characters
    assert len(text) <= titan.MAX_CHARACTERS
    message = refused(client, TITAN, {"inputText": text})
    assert message == (
        "400 Bad Request: Too many input tokens. Max input tokens: 8192, "
        f"request input token count: {titan.MAX_TOKENS + 1}"
    )


def test_the_token_limit_is_inclusive():
    """Checked on the count: embedding 8,192 tokens takes the local encoder seconds."""
    titan.check_token_count(titan.MAX_TOKENS)
    with pytest.raises(BedrockError, match="Max input tokens: 8192"):
        titan.check_token_count(titan.MAX_TOKENS + 1)
