"""Index configuration, modes and GetVectors: what moto got wrong or lacked."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors.backend import LEGACY_BUCKET_TAG
from tests.support.s3vectors import expect_validation, pages


def test_get_index_returns_the_non_filterable_keys_given_at_creation(client, make_index):
    selector = make_index(dimension=8, non_filterable=["body", "source_url"])
    index = client.get_index(**selector)["index"]
    assert index["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["body", "source_url"]}
    assert index["dimension"] == 8
    assert index["distanceMetric"] == "cosine"
    assert index["dataType"] == "float32"
    assert "creationTime" in index


def test_an_index_without_configuration_reports_none(client, make_index):
    selector = make_index(dimension=8)
    assert "metadataConfiguration" not in client.get_index(**selector)["index"]


def test_dimension_4096_is_accepted(client, make_index):
    selector = make_index(dimension=4096)
    assert client.get_index(**selector)["index"]["dimension"] == 4096
    client.put_vectors(**selector, vectors=[{"key": "a", "data": {"float32": [0.5] * 4096}}])
    got = client.get_vectors(**selector, keys=["a"], returnData=True)["vectors"]
    assert got[0]["data"]["float32"] == [0.5] * 4096


def test_get_vectors_answers_in_request_order_and_omits_missing_keys(client, make_index):
    selector = make_index(dimension=2)
    client.put_vectors(
        **selector,
        vectors=[
            {"key": k, "data": {"float32": [1, float(i)]}, "metadata": {"n": i}}
            for i, k in enumerate(["a", "b", "c", "d"])
        ],
    )
    got = client.get_vectors(**selector, keys=["d", "missing", "b", "a", "b"])["vectors"]
    assert got == [{"key": "d"}, {"key": "b"}, {"key": "a"}]


def test_get_vectors_returns_data_and_metadata_only_when_asked(client, make_index):
    selector = make_index(dimension=2)
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [0.25, 3]}, "metadata": {"n": 1}}]
    )
    full = client.get_vectors(**selector, keys=["a"], returnData=True, returnMetadata=True)
    assert full["vectors"] == [{"key": "a", "data": {"float32": [0.25, 3.0]}, "metadata": {"n": 1}}]


def test_a_put_overwrites_an_existing_key(client, make_index):
    selector = make_index(dimension=2)
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [1, 0]}, "metadata": {"v": 1}}]
    )
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [0, 1]}, "metadata": {"v": 2}}]
    )
    got = client.get_vectors(**selector, keys=["a"], returnData=True, returnMetadata=True)[
        "vectors"
    ]
    assert got == [{"key": "a", "data": {"float32": [0.0, 1.0]}, "metadata": {"v": 2}}]
    assert len(client.list_vectors(**selector)["vectors"]) == 1


def test_new_buckets_and_their_indexes_are_enhanced(client, make_index):
    selector = make_index(dimension=2)
    bucket = client.get_vector_bucket(vectorBucketName=selector["vectorBucketName"])
    assert bucket["vectorBucket"]["defaultIndexMode"] == "ENHANCED"
    assert client.get_index(**selector)["index"]["indexMode"] == "ENHANCED"


def test_classic_is_refused_for_a_new_bucket(client, make_index):
    selector = make_index(dimension=2)
    expect_validation(
        lambda: client.update_index_mode(**selector, indexMode="CLASSIC"), "indexMode"
    )
    expect_validation(
        lambda: client.put_vector_bucket_default_index_mode(
            vectorBucketName=selector["vectorBucketName"], defaultIndexMode="CLASSIC"
        ),
        "defaultIndexMode",
    )


def test_a_classic_query_on_an_enhanced_index_is_refused(client, make_index):
    selector = make_index(dimension=2)
    expect_validation(
        lambda: client.query_vectors(
            **selector, topK=1, queryVector={"float32": [1, 0]}, queryMode="CLASSIC"
        ),
        "queryMode",
    )


@pytest.fixture
def classic(client, make_index):
    """An index in a bucket that predates ENHANCED-only buckets (local tag, see the readme)."""
    selector = make_index(
        "old", dimension=2, bucket="legacy-bucket", bucket_tags={LEGACY_BUCKET_TAG: "true"}
    )
    client.put_vectors(
        **selector,
        vectors=[
            {"key": "a", "data": {"float32": [1, 0]}, "metadata": {"name": "alpha"}},
            {"key": "b", "data": {"float32": [0, 1]}, "metadata": {"name": "beta"}},
        ],
    )
    return selector


def test_a_legacy_bucket_makes_classic_indexes(client, classic):
    bucket = client.get_vector_bucket(vectorBucketName=classic["vectorBucketName"])
    assert bucket["vectorBucket"]["defaultIndexMode"] == "CLASSIC"
    assert client.get_index(**classic)["index"]["indexMode"] == "CLASSIC"


def test_starts_with_is_refused_in_classic_and_works_in_enhanced(client, classic):
    request = {
        "topK": 5,
        "queryVector": {"float32": [1, 0]},
        "filter": {"name": {"$startsWith": "al"}},
    }
    expect_validation(lambda: client.query_vectors(**classic, **request), "filter.name.$startsWith")
    enhanced = client.query_vectors(**classic, **request, queryMode="ENHANCED")
    assert [v["key"] for v in enhanced["vectors"]] == ["a"]
    client.update_index_mode(**classic, indexMode="ENHANCED")
    assert [v["key"] for v in client.query_vectors(**classic, **request)["vectors"]] == ["a"]


def test_classic_filters_return_the_exact_filtered_topk(client, classic):
    response = client.query_vectors(
        **classic, topK=5, queryVector={"float32": [1, 0]}, filter={"name": {"$ne": "alpha"}}
    )
    assert [v["key"] for v in response["vectors"]] == ["b"]


def test_deleting_a_bucket_with_indexes_is_a_conflict(client, make_index):
    selector = make_index(dimension=2)
    with pytest.raises(ClientError) as caught:
        client.delete_vector_bucket(vectorBucketName=selector["vectorBucketName"])
    assert caught.value.response["Error"]["Code"] == "ConflictException"


def test_an_unknown_index_is_not_found(client, make_index):
    make_index(dimension=2)
    with pytest.raises(ClientError) as caught:
        client.query_vectors(
            vectorBucketName="test-bucket", indexName="nope", topK=1, queryVector={"float32": [1]}
        )
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_indexes_pages_by_name_and_honours_the_prefix(client, make_index):
    names = [f"docs-{i:02d}" for i in range(7)] + ["other"]
    for name in names:
        make_index(name, dimension=2)
    seen = []
    for page in pages(client.list_indexes, vectorBucketName="test-bucket", maxResults=3):
        assert len(page["indexes"]) <= 3
        seen += [i["indexName"] for i in page["indexes"]]
    assert seen == sorted(names)
    docs = client.list_indexes(vectorBucketName="test-bucket", prefix="docs-")["indexes"]
    assert [i["indexName"] for i in docs] == names[:7]
    assert all("creationTime" in i for i in docs)
