"""Input that is wrong on its own: refused with the field named, and no S3 Vectors call."""

from __future__ import annotations

import math

import pytest

from tests.support.bridge import BUCKET, DOCS_ARN, HIDDEN_ARN, ok, refused

Q = {"operation": "query_vectors", "index_arn": DOCS_ARN, "query_vector": [1.0, 0.0, 0.0, 0.0]}

CASES = {
    "no operation": ({"index_arn": DOCS_ARN}, "operation"),
    "unknown operation": ({"operation": "drop_index"}, "operation"),
    "operation of the wrong type": ({"operation": 7}, "operation"),
    "top_k as a string": ({**Q, "top_k": "10"}, "top_k"),
    "top_k as a float": ({**Q, "top_k": 10.5}, "top_k"),
    "return_metadata as a string": ({**Q, "return_metadata": "yes"}, "return_metadata"),
    "a query vector of strings": ({**Q, "query_vector": ["1", "2"]}, "query_vector[0]"),
    "a query vector that is not a list": ({**Q, "query_vector": "1,2,3,4"}, "query_vector"),
    "NaN in the query vector": (
        {**Q, "query_vector": [1.0, math.nan, 0.0, 0.0]},
        "query_vector[1]",
    ),
    "infinity in the query vector": ({**Q, "query_vector": [math.inf, 0, 0, 0]}, "query_vector[0]"),
    "an empty query vector": ({**Q, "query_vector": []}, "query_vector"),
    "a query value beyond float32": ({**Q, "query_vector": [0.5, 1e39, 0, 0]}, "query_vector[1]"),
    "no query vector": ({k: v for k, v in Q.items() if k != "query_vector"}, "query_vector"),
    "a query vector over 4096 values": ({**Q, "query_vector": [0.5] * 4097}, "query_vector"),
    "top_k 0": ({**Q, "top_k": 0}, "top_k"),
    "top_k 10001": ({**Q, "top_k": 10_001}, "top_k"),
    "a filter that is not an object": (
        {**Q, "metadata_filter": ["genre", "news"]},
        "metadata_filter",
    ),
    "a filter that is a string": ({**Q, "metadata_filter": "genre = news"}, "metadata_filter"),
    "an unknown query_mode": ({**Q, "query_mode": "FAST"}, "query_mode"),
    "an unknown field": ({**Q, "topk": 3}, "topk"),
    "a malformed ARN": ({**Q, "index_arn": "arn:aws:s3:::my-bucket"}, "index_arn"),
    "an index ARN without the index": (
        {**Q, "index_arn": DOCS_ARN.rsplit("/index/", 1)[0]},
        "index_arn",
    ),
    "both ARN and names": ({**Q, "vector_bucket_name": BUCKET, "index_name": "docs"}, "index_arn"),
    "a bucket name without an index name": (
        {k: v for k, v in {**Q, "vector_bucket_name": BUCKET}.items() if k != "index_arn"},
        "index_name",
    ),
    "a bad bucket name": (
        {"operation": "describe_index", "vector_bucket_name": "Bad_Name", "index_name": "docs"},
        "vector_bucket_name",
    ),
    "no index at all": ({"operation": "describe_index"}, "index_arn"),
    "empty vector_ids": (
        {"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": []},
        "vector_ids",
    ),
    "a vector id that is not a string": (
        {"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["a", 5]},
        "vector_ids[1]",
    ),
    "a key over 1024 characters": (
        {"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["k" * 1025]},
        "vector_ids[0]",
    ),
    "max_results 1001": (
        {"operation": "list_vectors", "index_arn": DOCS_ARN, "max_results": 1001},
        "max_results",
    ),
    "segment_index without segment_count": (
        {"operation": "list_vectors", "index_arn": DOCS_ARN, "segment_index": 1},
        "segment_count",
    ),
    "segment_index past segment_count": (
        {
            "operation": "list_vectors",
            "index_arn": DOCS_ARN,
            "segment_count": 2,
            "segment_index": 2,
        },
        "segment_index",
    ),
    "a batch with an empty query": (
        {
            "operation": "query_vectors_batch",
            "index_arn": DOCS_ARN,
            "query_vectors": [[1.0, 0, 0, 0], []],
        },
        "query_vectors[1]",
    ),
    "put without vectors": (
        {"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": []},
        "vectors",
    ),
    "NaN in a put vector": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"key": "a", "data": [1.0, 2.0, math.nan, 0.0]}],
        },
        "vectors[0].data[2]",
    ),
    "a put value beyond float32": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"key": "a", "data": [1.0, -1e39, 0.0, 0.0]}],
        },
        "vectors[0].data[1]",
    ),
    "put metadata holding an object": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"key": "a", "data": [1.0, 2.0, 3.0, 0.0], "metadata": {"x": {"y": 1}}}],
        },
        "vectors[0].metadata.x",
    ),
    "a put vector with an empty key": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"key": "", "data": [1.0, 2.0, 3.0, 0.0]}],
        },
        "vectors[0].key",
    ),
    "a put vector with a key over 1024 characters": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"key": "k" * 1025, "data": [1.0, 2.0, 3.0, 0.0]}],
        },
        "vectors[0].key",
    ),
    "a put vector without a key": (
        {
            "operation": "put_vectors",
            "index_arn": DOCS_ARN,
            "vectors": [{"data": [1.0, 2.0, 3.0, 0.0]}],
        },
        "vectors[0].key",
    ),
    "a request that is not an object": (["query_vectors"], None),
}


def test_the_valid_query_the_cases_start_from_is_sent_to_s3_vectors(invoke, s3v):
    # Proves the request counter below counts: without it "no call" would prove nothing.
    ok(invoke(Q))
    assert s3v.sent == ["QueryVectors"]


@pytest.mark.parametrize(("event", "field"), list(CASES.values()), ids=list(CASES))
def test_bad_input_is_refused_naming_the_field_without_calling_s3_vectors(
    invoke, s3v, event, field
):
    error = refused(invoke(event))
    assert error["type"] == "ValidationError"
    assert error["retryable"] is False
    assert error.get("field") == field
    assert error["message"]
    assert s3v.sent == []


def test_a_non_allowlisted_arn_is_access_denied_without_calling_s3_vectors(invoke, s3v):
    error = refused(invoke({**Q, "index_arn": HIDDEN_ARN}))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "index_arn"
    assert s3v.sent == []


@pytest.mark.parametrize(
    "arn",
    [
        DOCS_ARN.replace(":us-east-1:", ":us-west-2:"),
        DOCS_ARN.replace(":123456789012:", ":210987654321:"),
        DOCS_ARN.replace("arn:aws:", "arn:aws-cn:"),
    ],
    ids=["another region", "another account", "another partition"],
)
def test_a_served_index_name_under_another_region_account_or_partition_is_access_denied(
    invoke, s3v, arn
):
    error = refused(invoke({**Q, "index_arn": arn}))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "index_arn"
    assert s3v.sent == []


def test_a_value_beyond_float32_is_refused_saying_why(invoke, s3v):
    error = refused(invoke({**Q, "query_vector": [3.5e38, 0.0, 0.0, 0.0]}))
    assert error["field"] == "query_vector[0]"
    assert "float32" in error["message"]


def test_a_name_selected_index_outside_the_allowlist_is_access_denied(invoke, s3v):
    event = {k: v for k, v in Q.items() if k != "index_arn"}
    error = refused(invoke({**event, "vector_bucket_name": "not-served", "index_name": "docs"}))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "index_name"
    assert s3v.sent == []


def test_integral_floats_and_ints_are_both_accepted_in_vectors(invoke, s3v):
    rows = ok(invoke({**Q, "query_vector": [1, 0, 0.0, 0], "top_k": 1}))
    assert len(rows) == 1


def test_an_empty_allowlist_serves_nothing(invoke, s3v, monkeypatch):
    from s3vl_bridge import settings

    monkeypatch.delenv("S3VL_BUCKET_ARNS")
    monkeypatch.delenv("S3VL_INDEX_ARNS")
    settings.settings.cache_clear()  # the allowlist follows; the client keeps counting calls
    error = refused(invoke(Q))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "index_arn"
    assert s3v.sent == []


def test_a_malformed_allowlist_entry_is_a_configuration_error_naming_the_variable(
    invoke, s3v, monkeypatch
):
    from s3vl_bridge import settings

    monkeypatch.setenv("S3VL_INDEX_ARNS", "arn:aws:s3vectors:us-east-1:oops")
    settings.settings.cache_clear()  # the allowlist follows
    error = refused(invoke({"operation": "availability_check"}))
    assert error["type"] == "ConfigurationError"
    assert "S3VL_INDEX_ARNS" in error["message"]
