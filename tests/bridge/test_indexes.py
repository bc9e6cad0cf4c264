"""availability_check / ping, describe_index, list_indexes and the allowlist."""

from __future__ import annotations

from s3vl_bridge import __version__

from tests.support.bridge import (
    BUCKET,
    BUCKET_ARN,
    DOCS_ARN,
    HIDDEN_ARN,
    LISTED_ARN,
    OTHER_BUCKET,
    OTHER_BUCKET_ARN,
    PLACES_ARN,
    ok,
    refused,
)


def test_ping_reports_version_region_and_what_the_function_serves(invoke, s3v):
    result = ok(invoke({"operation": "ping"}))
    assert result["status"] == "available"
    assert result["version"] == __version__
    assert result["region"] == "us-east-1"
    assert set(result["operations"]) == {
        "availability_check",
        "ping",
        "describe_index",
        "list_indexes",
        "query_vectors",
        "query_vectors_batch",
        "get_vectors",
        "list_vectors",
        "put_vectors",
        "delete_vectors",
        "embed",
        "update_metadata_configuration",
        "update_index_mode",
    }
    assert result["allowed_indexes"] == [LISTED_ARN]
    assert result["allowed_buckets"] == [BUCKET_ARN]
    assert result["allowed_embedding_models"] == []
    assert s3v.sent == []


def test_describe_index_reports_dimension_metric_and_non_filterable_keys(invoke, s3v):
    s3v.aws.create_index(
        vectorBucketName=BUCKET,
        indexName="notes",
        dataType="float32",
        dimension=8,
        distanceMetric="euclidean",
        metadataConfiguration={"nonFilterableMetadataKeys": ["body"]},
    )
    result = ok(
        invoke({"operation": "describe_index", "vector_bucket_name": BUCKET, "index_name": "notes"})
    )
    assert result["dimension"] == 8
    assert result["distance_metric"] == "euclidean"
    assert result["non_filterable_metadata_keys"] == ["body"]
    assert result["index_arn"] == f"{BUCKET_ARN}/index/notes"
    assert result["index_mode"] == "ENHANCED"  # the local service's default, as new AWS buckets
    assert s3v.sent == ["GetIndex"]


def test_list_indexes_of_an_allowlisted_bucket_lists_all_its_indexes(invoke, s3v):
    result = ok(invoke({"operation": "list_indexes", "vector_bucket_arn": BUCKET_ARN}))
    assert sorted(i["index_arn"] for i in result["indexes"]) == sorted([DOCS_ARN, PLACES_ARN])
    assert result["total_count"] == 2


def test_list_indexes_follows_every_page(invoke, s3v):
    for i in range(30):
        s3v.aws.create_index(
            vectorBucketName=BUCKET,
            indexName=f"extra-{i:02d}",
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
        )
    result = ok(invoke({"operation": "list_indexes", "vector_bucket_name": BUCKET}))
    assert result["total_count"] == 32


def test_list_indexes_of_a_bucket_served_index_by_index_lists_only_the_served_ones(invoke, s3v):
    result = ok(invoke({"operation": "list_indexes", "vector_bucket_name": OTHER_BUCKET}))
    assert [i["index_arn"] for i in result["indexes"]] == [LISTED_ARN]


def test_an_index_listed_by_arn_is_served(invoke, s3v):
    result = ok(invoke({"operation": "describe_index", "index_arn": LISTED_ARN}))
    assert result["index_name"] == "listed"


def test_an_index_neither_listed_nor_in_a_listed_bucket_is_denied_without_calling_aws(invoke, s3v):
    error = refused(invoke({"operation": "describe_index", "index_arn": HIDDEN_ARN}))
    assert error["type"] == "AccessDenied"
    assert error["field"] == "index_arn"
    assert "S3VL_INDEX_ARNS" in error["message"]
    assert s3v.sent == []


def test_a_bucket_not_served_is_denied_for_list_indexes(invoke, s3v):
    error = refused(
        invoke(
            {
                "operation": "list_indexes",
                "vector_bucket_arn": OTHER_BUCKET_ARN.replace("other", "third"),
            }
        )
    )
    assert error["type"] == "AccessDenied"
    assert error["field"] == "vector_bucket_arn"
    assert s3v.sent == []


def test_an_unknown_index_in_a_served_bucket_is_not_found(invoke, s3v):
    error = refused(
        invoke({"operation": "describe_index", "index_arn": f"{BUCKET_ARN}/index/no-such-index"})
    )
    assert error["type"] == "NotFound"
    assert error["retryable"] is False


def test_list_indexes_with_a_prefix_lists_only_the_matching_indexes(invoke, s3v):
    result = ok(
        invoke({"operation": "list_indexes", "vector_bucket_arn": BUCKET_ARN, "prefix": "pla"})
    )
    assert [i["index_arn"] for i in result["indexes"]] == [PLACES_ARN]
