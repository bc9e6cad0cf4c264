"""embed through the real handler and the real local Bedrock Runtime: each model's request
shape, batching, the allowlist, every bad input refused before any invocation, truncation only
when asked, retries and timeouts, and the vectors' meaning."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from s3vl_bridge.limits import EMBED_TEXTS_MAX

from tests.support.bedrock import cosine, make_client
from tests.support.bedrock import invoke as invoke_bedrock
from tests.support.bridge import CLOSED_PORT_URL, COHERE, NOT_SERVED_MODEL, TITAN, ok, refused

THERMOS = ["something to keep my coffee hot", "insulated stainless steel thermos", "LED desk lamp"]


def embed(**fields):
    return {"operation": "embed", **fields}


def test_titan_is_the_default_one_invocation_per_text_in_order(invoke, bedrock):
    result = ok(invoke(embed(texts=THERMOS)))
    assert result["model_id"] == TITAN
    assert result["dimension"] == 1024
    assert result["normalized"] is True
    assert result["input_type"] is None
    assert result["invocations"] == 3
    assert result["truncated_positions"] == []
    assert sorted(s.body["inputText"] for s in bedrock.sent) == sorted(THERMOS)
    assert {json.dumps(s.body, sort_keys=True) for s in bedrock.sent} == {
        json.dumps({"inputText": t, "dimensions": 1024, "normalize": True}, sort_keys=True)
        for t in THERMOS
    }
    direct = make_client(bedrock.server.url)
    for text, vector in zip(THERMOS, result["embeddings"], strict=True):
        expected, _ = invoke_bedrock(direct, TITAN, {"inputText": text})
        assert np.allclose(vector, expected["embedding"], rtol=1e-7, atol=1e-9)
    counts = [
        invoke_bedrock(direct, TITAN, {"inputText": t})[0]["inputTextTokenCount"] for t in THERMOS
    ]
    assert result["input_token_count"] == sum(counts)


def test_titan_takes_its_dimension_and_normalize(invoke, bedrock):
    result = ok(invoke(embed(texts=THERMOS[:1], dimension=256, normalize=False)))
    (vector,) = result["embeddings"]
    assert len(vector) == 256
    assert result["normalized"] is False
    assert not math.isclose(np.linalg.norm(vector), 1, abs_tol=1e-3)
    assert bedrock.sent[0].body == {"inputText": THERMOS[0], "dimensions": 256, "normalize": False}


def test_floats_carry_float32s_nine_significant_digits(invoke, bedrock):
    (vector,) = ok(invoke(embed(texts=THERMOS[:1])))["embeddings"]
    assert all(float(f"{v:.9g}") == v for v in vector)
    assert max(len(repr(v)) for v in vector) <= len("-1.23456789e-05")


def test_cohere_goes_in_batches_of_96_with_its_input_type(invoke, bedrock):
    texts = [f"product {i}: a steel thermos that keeps coffee hot" for i in range(200)]
    result = ok(invoke(embed(texts=texts, model_id=COHERE, input_type="search_query")))
    assert result["invocations"] == 3
    assert result["input_type"] == "search_query"
    assert result["dimension"] == 1024
    assert sorted(len(s.body["texts"]) for s in bedrock.sent) == [8, 96, 96]
    assert {s.body["input_type"] for s in bedrock.sent} == {"search_query"}
    assert sorted(t for s in bedrock.sent for t in s.body["texts"]) == sorted(texts)
    vectors = result["embeddings"]
    assert len(vectors) == 200
    direct = make_client(bedrock.server.url)
    for position in (0, 95, 96, 199):
        expected, _ = invoke_bedrock(
            direct, COHERE, {"texts": [texts[position]], "input_type": "search_query"}
        )
        assert np.allclose(vectors[position], expected["embeddings"][0], atol=1e-6)
    assert isinstance(result["input_token_count"], int)


@pytest.mark.parametrize("model_id", [TITAN, COHERE])
def test_the_paraphrase_is_nearer_than_the_unrelated_product(invoke, bedrock, model_id):
    query, thermos, lamp = ok(invoke(embed(texts=THERMOS, model_id=model_id)))["embeddings"]
    assert cosine(query, thermos) > cosine(query, lamp) + 0.1


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({}, "texts", "required field is missing"),
        ({"texts": []}, "texts", "at least 1 item"),
        ({"texts": ["ok", None]}, "texts[1]", "is null; a NULL text cannot be embedded"),
        ({"texts": ["ok", ""]}, "texts[1]", "is empty"),
        ({"texts": ["   \n"]}, "texts[0]", "is empty; give each text something to embed"),
        ({"texts": [7]}, "texts[0]", "valid string"),
        ({"texts": "one text"}, "texts", "valid list"),
        ({"texts": ["a"] * (EMBED_TEXTS_MAX + 1)}, "texts", f"at most {EMBED_TEXTS_MAX} items"),
        ({"texts": ["a"], "model_id": "openai.text-embedding-3"}, "model_id", "not an embedding"),
        ({"texts": ["a"], "model_id": ""}, "model_id", "at least 1 character"),
        ({"texts": ["a"], "dimension": 384}, "dimension", "1024 or 512 or 256 dimensions, not 384"),
        ({"texts": ["a"], "dimension": "256"}, "dimension", "valid integer"),
        ({"texts": ["a"], "model_id": COHERE, "dimension": 512}, "dimension", "not 512"),
        ({"texts": ["a"], "model_id": COHERE, "normalize": False}, "normalize", "unit-length"),
        ({"texts": ["a"], "input_type": "query"}, "input_type", "search_document"),
        ({"texts": ["a"], "truncate": "MIDDLE"}, "truncate", "'NONE', 'START' or 'END'"),
        ({"texts": ["a"], "dimensions": 256}, "dimensions", "unknown field"),
        ({"texts": ["a", "b" * 50_001]}, "texts[1]", "50,001 characters, over the 50,000"),
        (
            {"texts": ["b" * 2_049], "model_id": COHERE},
            "texts[0]",
            "2,049 characters, over the 2,048",
        ),
    ],
)
def test_a_bad_input_is_refused_naming_the_field_before_any_invocation(
    invoke, bedrock, fields, field, fragment
):
    error = refused(invoke(embed(**fields)))
    assert error["type"] == "ValidationError"
    assert error["field"] == field
    assert fragment in error["message"]
    assert bedrock.sent == []


def test_a_blank_text_is_refused_saying_what_to_give(invoke, bedrock):
    error = refused(invoke(embed(texts=["a", " \n"])))
    assert error["message"] == "texts[1]: is empty; give each text something to embed", error
    assert bedrock.sent == []


@pytest.mark.parametrize(("model_id", "characters"), [(TITAN, 50_000), (COHERE, 2_048)])
def test_a_text_of_exactly_the_models_characters_is_embedded_whole(
    invoke, bedrock, model_id, characters
):
    text = "a" * characters  # one word: a single [UNK] token, quick to embed
    result = ok(invoke(embed(texts=[text], model_id=model_id)))
    assert result["truncated_positions"] == []
    (sent,) = bedrock.sent
    assert sent.body.get("inputText", sent.body.get("texts", [None])[0]) == text


def test_a_model_off_the_allowlist_is_denied_before_any_invocation(invoke, bedrock):
    error = refused(invoke(embed(texts=["a"], model_id=NOT_SERVED_MODEL)))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "model_id"
    assert error["message"] == (
        f"embedding model {NOT_SERVED_MODEL} is not served by this function; add it to "
        "S3VL_EMBEDDING_MODELS of the bridge Lambda (and bedrock:InvokeModel on it to its role)"
    )
    assert bedrock.sent == []


def test_with_no_allowlist_no_model_is_served(invoke, bedrock, monkeypatch):
    from s3vl_bridge import reset_container

    monkeypatch.delenv("S3VL_EMBEDDING_MODELS")
    reset_container()
    error = refused(invoke(embed(texts=["a"])))
    assert (error["type"], error["field"]) == ("AccessDenied", "model_id")


def test_an_allowlist_naming_an_unknown_model_is_a_configuration_error(invoke, monkeypatch):
    from s3vl_bridge import reset_container

    monkeypatch.setenv("S3VL_EMBEDDING_MODELS", f"{TITAN},amazon.titan-embed-text-v9")
    reset_container()
    error = refused(invoke(embed(texts=["a"])))
    assert error["type"] == "ConfigurationError"
    assert "amazon.titan-embed-text-v9" in error["message"]


def test_ping_lists_the_served_models(invoke, bedrock):
    result = ok(invoke({"operation": "ping"}))
    assert result["allowed_embedding_models"] == sorted([TITAN, COHERE])
    assert "embed" in result["operations"]


def test_titans_token_limit_is_an_error_naming_the_text(invoke, bedrock):
    over = "1 " * 8_193  # a token per digit: within 50,000 characters, over 8,192 tokens
    error = refused(invoke(embed(texts=["fine", over])))
    assert error["type"] == "ValidationError"
    assert error["field"] == "texts[1]"
    assert "8,193 tokens, over the 8,192" in error["message"]
    assert "set truncate" in error["message"]


TOO_MANY = (
    "400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: {}"
)


def test_titan_truncation_cuts_by_the_reported_tokens_and_sends_again(invoke, bedrock):
    """Titan says how many tokens a text had: the bridge cuts it to fit and sends it again
    (the refusal is the service's own answer, queued so the text need not be 8,192 tokens)."""
    text = "a thermos for hot coffee, " * 40
    bedrock.server.faults.inject(
        code="ValidationException", model_id=TITAN, message=TOO_MANY.format(16_384)
    )
    result = ok(invoke(embed(texts=[text], truncate="END")))
    first, second = (s.body["inputText"] for s in bedrock.sent)
    assert first == text
    assert second == text[: math.floor(len(text) * 8192 / 16_384 * 0.95)]
    assert result["truncated_positions"] == [1]


def test_titan_truncation_from_the_start_keeps_the_end(invoke, bedrock):
    text = "start " + "a thermos for hot coffee, " * 40
    bedrock.server.faults.inject(
        code="ValidationException", model_id=TITAN, message=TOO_MANY.format(10_000)
    )
    ok(invoke(embed(texts=[text], truncate="START")))
    assert (
        bedrock.sent[1].body["inputText"] == text[-math.floor(len(text) * 8192 / 10_000 * 0.95) :]
    )


def test_titan_truncation_gives_up_after_a_few_cuts(invoke, bedrock):
    bedrock.server.faults.inject(
        code="ValidationException", model_id=TITAN, message=TOO_MANY.format(9_000), times=10
    )
    error = refused(invoke(embed(texts=["x" * 1000], truncate="END")))
    assert (error["type"], error["field"]) == ("ValidationError", "texts[0]")
    assert len(bedrock.sent) == 4


@pytest.mark.parametrize(
    ("truncate", "kept"), [("END", slice(None, 50_000)), ("START", slice(-50_000, None))]
)
def test_truncation_cuts_titans_characters_only_when_asked(invoke, bedrock, truncate, kept):
    text = "a" * 25_000 + "b" * 25_001  # one word: a single [UNK] token, quick to embed
    result = ok(invoke(embed(texts=["fine", text], truncate=truncate)))
    assert result["truncated_positions"] == [2]
    assert {s.body["inputText"] for s in bedrock.sent} == {"fine", text[kept]}
    assert len(text[kept]) == 50_000


def test_truncation_cuts_cohere_texts_to_its_characters_and_asks_it_to_cut_tokens(invoke, bedrock):
    text = "coffee " * 300  # 2,100 characters
    result = ok(invoke(embed(texts=[text], model_id=COHERE, truncate="START")))
    assert result["truncated_positions"] == [1]
    (sent,) = bedrock.sent
    assert sent.body["texts"] == [text[-2_048:]]
    assert sent.body["truncate"] == "START"


def test_a_cohere_text_over_its_tokens_is_named_by_its_place_in_the_request(invoke, bedrock):
    long = " ".join(str(i % 10) for i in range(600))  # 600 tokens in 1,199 characters
    texts = ["a mug"] * 100 + [long]
    error = refused(invoke(embed(texts=texts, model_id=COHERE)))
    assert error["type"] == "ValidationError"
    assert error["field"] == "texts[100]"
    assert "texts[100]: has 600 tokens" in error["message"]


def test_a_throttled_invocation_is_retried(invoke, bedrock):
    bedrock.server.faults.inject(code="ThrottlingException", model_id=TITAN, times=1)
    result = ok(invoke(embed(texts=["a thermos"])))
    assert len(result["embeddings"]) == 1
    assert bedrock.models_sent() == [TITAN] * 2


def test_throttling_past_the_retries_is_a_retryable_error(invoke, bedrock, monkeypatch):
    from s3vl_bridge import reset_container

    monkeypatch.setenv("S3VL_MAX_ATTEMPTS", "2")  # one retry: botocore backs off a second or so
    reset_container()
    bedrock.server.faults.inject(code="ThrottlingException", model_id=TITAN, times=2)
    error = refused(invoke(embed(texts=["a thermos"])))
    assert error["type"] == "Throttled"
    assert error["retryable"] is True
    assert len(bedrock.sent) == 2


@pytest.mark.parametrize(
    ("code", "error_type", "retryable", "field"),
    [
        ("AccessDeniedException", "AccessDenied", False, "model_id"),
        ("ResourceNotFoundException", "NotFound", False, "model_id"),
        ("ServiceQuotaExceededException", "ServiceQuotaExceeded", False, None),
        ("ModelTimeoutException", "ServiceUnavailable", True, None),
        ("ModelNotReadyException", "ServiceUnavailable", True, None),
        ("InternalServerException", "ServiceUnavailable", True, None),
        ("ServiceUnavailableException", "ServiceUnavailable", True, None),
        ("ModelErrorException", "UpstreamError", False, None),
        ("ValidationException", "ValidationError", False, "texts[0]"),
    ],
)
def test_each_bedrock_error_maps_to_its_domain_error(
    invoke, bedrock, monkeypatch, code, error_type, retryable, field
):
    from s3vl_bridge import reset_container

    monkeypatch.setenv("S3VL_MAX_ATTEMPTS", "1")
    reset_container()
    bedrock.server.faults.inject(code=code, model_id=TITAN, message=f"injected {code}")
    error = refused(invoke(embed(texts=["a thermos"])))
    assert (error["type"], error["retryable"], error.get("field")) == (error_type, retryable, field)
    message = error["message"]
    assert message.startswith(f"Bedrock InvokeModel ({TITAN}): injected {code}"), message
    # What to do: retry, or the hint of the code; nothing for the others.
    assert message.removeprefix(f"Bedrock InvokeModel ({TITAN}): injected {code}") == (
        " (retry later)" if retryable else HINTS.get(code, "")
    )
    assert error["details"] == {"aws_error_code": code}


HINTS = {
    "AccessDeniedException": "; give the bridge's role bedrock:InvokeModel on this model and "
    "enable the model's access in the Bedrock console of this region",
    "ResourceNotFoundException": "; check the model id and that the model is offered in this "
    "region",
}


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (503, True)])
def test_an_unknown_bedrock_error_is_an_upstream_error_retryable_on_a_5xx(
    invoke, bedrock, status, retryable
):
    from botocore.stub import Stubber
    from s3vl_bridge.bedrock import bedrock_runtime

    with Stubber(bedrock_runtime()) as stubber:  # a code the local Bedrock does not answer
        stubber.add_client_error("invoke_model", "BrandNewException", "new", status)
        error = refused(invoke(embed(texts=["a thermos"])))
    assert (error["type"], error["retryable"]) == ("UpstreamError", retryable)
    assert error["message"] == f"Bedrock InvokeModel ({TITAN}) failed: BrandNewException: new"
    assert error["details"] == {"aws_error_code": "BrandNewException"}


def test_a_slow_model_is_a_retryable_timeout(invoke, bedrock, monkeypatch):
    from s3vl_bridge import reset_container

    monkeypatch.setenv("S3VL_READ_TIMEOUT_S", "0.2")
    monkeypatch.setenv("S3VL_MAX_ATTEMPTS", "2")
    reset_container()
    bedrock.server.faults.inject(code=None, model_id=TITAN, delay_s=30, times=2)
    error = refused(invoke(embed(texts=["a thermos"])))
    assert error["type"] == "ServiceUnavailable"
    assert error["retryable"] is True
    assert f"Bedrock InvokeModel ({TITAN}) could not be reached" in error["message"]
    assert error["details"] == {"aws_error_code": "ReadTimeoutError"}


def test_the_endpoint_is_botocores_bedrock_runtime_setting(invoke, bedrock, monkeypatch):
    from s3vl_bridge import reset_container

    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", CLOSED_PORT_URL)
    monkeypatch.setenv("S3VL_MAX_ATTEMPTS", "1")
    reset_container()
    error = refused(invoke(embed(texts=["a thermos"])))
    assert (error["type"], error["retryable"]) == ("ServiceUnavailable", True)
    assert "127.0.0.1:9" in error["message"]


def _stubbed_titan_answer(body: bytes, metadata: dict | None) -> Any:
    """The bridge's Bedrock client answering one InvokeModel with `body` (botocore's Stubber:
    an answer the local Bedrock would not give), with `metadata` as its ResponseMetadata."""
    import io

    from botocore.response import StreamingBody
    from botocore.stub import Stubber
    from s3vl_bridge.bedrock import bedrock_runtime

    stubber = Stubber(bedrock_runtime())
    answer = {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}
    if metadata is not None:
        answer["ResponseMetadata"] = metadata
    stubber.add_response("invoke_model", answer)
    return stubber


def test_an_answer_that_is_not_a_json_object_is_an_upstream_error(invoke, bedrock):
    with _stubbed_titan_answer(b"[0.5]", None):
        error = refused(invoke(embed(texts=["a thermos"])))
    assert error["type"] == "UpstreamError"
    assert error["message"] == f"Bedrock InvokeModel ({TITAN}) answered list"


@pytest.mark.parametrize(
    "metadata", [None, {}, {"HTTPHeaders": {}}], ids=["no metadata", "no headers", "no count"]
)
def test_an_answer_without_a_token_count_is_taken(invoke, bedrock, metadata):
    body = json.dumps({"embedding": [0.6, 0.8] + [0.0] * 1022, "inputTextTokenCount": 3})
    with _stubbed_titan_answer(body.encode(), metadata):
        result = ok(invoke(embed(texts=["a thermos"])))
    assert result["embeddings"][0][:2] == [0.6, 0.8]
