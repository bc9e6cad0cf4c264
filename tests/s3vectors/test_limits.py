"""Every S3 Vectors limit is refused with a ValidationException naming the field, storing nothing.

Most requests go through `raw_client` (botocore's own validation off) so the value really
reaches the service, as it would from an SDK that does not check.
"""

from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError

from tests.support.s3vectors import all_keys, expect_validation


def vec(key, values, metadata=None):
    item = {"key": key, "data": {"float32": values}}
    if metadata is not None:
        item["metadata"] = metadata
    return item


@pytest.fixture
def index(client, make_index):
    selector = make_index(dimension=3, metric="cosine", non_filterable=["body"])
    client.put_vectors(**selector, vectors=[vec("existing", [1, 2, 3])])
    return selector


def assert_unchanged(client, selector):
    assert all_keys(client, selector) == ["existing"]


BAD_PUTS = [
    ("more than 500 vectors", [vec(f"k{i}", [1, 1, 1]) for i in range(501)], "vectors"),
    ("no vectors", [], "vectors"),
    ("an empty key", [vec("good", [1, 1, 1]), vec("", [1, 1, 1])], "vectors[1].key"),
    (
        "a key of 1025 characters",
        [vec("good", [1, 1, 1]), vec("k" * 1025, [1, 1, 1])],
        "vectors[1].key",
    ),
    ("a short vector", [vec("good", [1, 1, 1]), vec("bad", [1, 1])], "vectors[1].data"),
    ("a long vector", [vec("bad", [1, 1, 1, 1])], "vectors[0].data"),
    ("NaN", [vec("good", [1, 1, 1]), vec("bad", [1, math.nan, 1])], "vectors[1].data"),
    ("Infinity", [vec("bad", [math.inf, 1, 1])], "vectors[0].data"),
    ("-Infinity", [vec("bad", [1, 1, -math.inf])], "vectors[0].data"),
    ("beyond float32", [vec("bad", [1e39, 1, 1])], "vectors[0].data"),
    ("all zeros under cosine", [vec("good", [1, 1, 1]), vec("zero", [0, 0, 0])], "vectors[1].data"),
    (
        "metadata over 40 KB",
        [vec("bad", [1, 1, 1], {"body": "x" * (40 * 1024)})],
        "vectors[0].metadata",
    ),
    (
        "filterable metadata over 2 KB",
        [vec("bad", [1, 1, 1], {"title": "x" * 2048})],
        "vectors[0].metadata",
    ),
    (
        "more than 50 metadata keys",
        [vec("bad", [1, 1, 1], {f"m{i}": i for i in range(51)})],
        "vectors[0].metadata",
    ),
    ("a key that is not a string", [vec("good", [1, 1, 1]), vec(7, [1, 1, 1])], "vectors[1].key"),
    (
        "a bad vector after good ones",
        [*(vec(f"good{i}", [1, 1, i]) for i in range(5)), vec("bad", [1, math.nan, 1])],
        "vectors[5].data",
    ),
    ("a nested metadata object", [vec("bad", [1, 1, 1], {"m": {"a": 1}})], "vectors[0].metadata.m"),
    ("a list of lists", [vec("bad", [1, 1, 1], {"m": [[1]]})], "vectors[0].metadata.m[0]"),
]


@pytest.mark.parametrize(
    ("vectors", "field"), [c[1:] for c in BAD_PUTS], ids=[c[0] for c in BAD_PUTS]
)
def test_a_bad_put_is_refused_and_stores_nothing(client, raw_client, index, vectors, field):
    expect_validation(lambda: raw_client.put_vectors(**index, vectors=vectors), field)
    assert_unchanged(client, index)


def test_the_largest_allowed_put_is_accepted(client, index):
    big = {"body": "x" * (38 * 1024), "title": "y" * 1900}
    vectors = [
        vec(f"k{i:03d}", [1, 1, i + 1], big if i == 0 else {f"m{j}": j for j in range(50)})
        for i in range(500)
    ]
    vectors.append(vec("k" * 1024, [1, 2, 3]))
    client.put_vectors(**index, vectors=vectors[:500])
    client.put_vectors(**index, vectors=vectors[500:])
    assert len(all_keys(client, index)) == 502


def test_a_put_request_over_20_mib_is_refused_and_stores_nothing(client, raw_client, make_index):
    selector = make_index("wide", dimension=1024, metric="cosine", non_filterable=["body"])
    # 500 vectors within every per-vector limit, about 25 MB as JSON: long float texts
    # (about 9.7 MB) and 30 KB of non-filterable metadata each (about 15 MB).
    values = [0.1234567890123 + i * 1e-9 for i in range(1024)]
    vectors = [vec(f"k{i}", values, {"body": "x" * (30 * 1024)}) for i in range(500)]
    expect_validation(lambda: raw_client.put_vectors(**selector, vectors=vectors), "vectors")
    assert all_keys(client, selector) == []


def test_an_all_zero_vector_is_fine_under_euclidean(client, make_index):
    selector = make_index("flat", dimension=3, metric="euclidean")
    client.put_vectors(**selector, vectors=[vec("zero", [0, 0, 0])])
    assert all_keys(client, selector) == ["zero"]


def test_more_than_100_keys_in_a_get_is_refused(raw_client, index):
    keys = [f"k{i}" for i in range(101)]
    expect_validation(lambda: raw_client.get_vectors(**index, keys=keys), "keys")
    expect_validation(lambda: raw_client.get_vectors(**index, keys=[]), "keys")
    expect_validation(lambda: raw_client.get_vectors(**index, keys=["a", ""]), "keys[1]")


def test_more_than_500_keys_in_a_delete_is_refused_and_deletes_nothing(client, raw_client, index):
    keys = ["existing"] + [f"k{i}" for i in range(500)]
    expect_validation(lambda: raw_client.delete_vectors(**index, keys=keys), "keys")
    expect_validation(
        lambda: raw_client.delete_vectors(**index, keys=["existing", "k" * 1025]), "keys[1]"
    )
    assert_unchanged(client, index)


def test_the_largest_allowed_get_and_delete_are_accepted(client, index):
    keys = ["existing"] + [f"absent-{i}" for i in range(499)]
    assert client.get_vectors(**index, keys=keys[:100])["vectors"] == [{"key": "existing"}]
    client.delete_vectors(**index, keys=keys)
    assert all_keys(client, index) == []


@pytest.mark.parametrize("top_k", [0, -1, 10_001])
def test_topk_outside_1_to_10000_is_refused(raw_client, index, top_k):
    expect_validation(
        lambda: raw_client.query_vectors(**index, topK=top_k, queryVector={"float32": [1, 1, 1]}),
        "topK",
    )


@pytest.mark.parametrize(
    ("vector", "field"),
    [([1, 1], "queryVector"), ([0, 0, 0], "queryVector"), ([1, math.nan, 1], "queryVector")],
    ids=["wrong dimension", "all zeros under cosine", "NaN"],
)
def test_a_bad_query_vector_is_refused(raw_client, index, vector, field):
    expect_validation(
        lambda: raw_client.query_vectors(**index, topK=1, queryVector={"float32": vector}), field
    )


OPERATIONS = {
    "put_vectors": {"vectors": [vec("new", [1, 1, 1])]},
    "get_vectors": {"keys": ["existing"]},
    "delete_vectors": {"keys": ["existing"]},
    "list_vectors": {},
    "query_vectors": {"topK": 1, "queryVector": {"float32": [1, 1, 1]}},
    "get_index": {},
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_index_arn_together_with_bucket_and_name_is_refused(client, raw_client, index, operation):
    arn = client.get_index(**index)["index"]["indexArn"]
    call = getattr(raw_client, operation)
    expect_validation(lambda: call(**index, indexArn=arn, **OPERATIONS[operation]), "indexArn")
    assert_unchanged(client, index)


@pytest.mark.parametrize(
    ("selector", "field"),
    [({}, "vectorBucketName"), ({"vectorBucketName": "test-bucket"}, "indexName")],
    ids=["nothing", "bucket without index name"],
)
def test_an_index_not_fully_named_is_refused(raw_client, index, selector, field):
    error = expect_validation(
        lambda: raw_client.query_vectors(**selector, topK=1, queryVector={"float32": [1, 1, 1]}),
        field,
    )
    assert "indexArn" in error.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("request_extra", "field"),
    [
        ({"maxResults": 1001}, "maxResults"),
        ({"maxResults": 0}, "maxResults"),
        ({"segmentCount": 17, "segmentIndex": 0}, "segmentCount"),
        ({"segmentCount": 4, "segmentIndex": 4}, "segmentIndex"),
        ({"segmentCount": 0, "segmentIndex": 0}, "segmentCount"),
    ],
    ids=str,
)
def test_list_limits_are_refused(raw_client, index, request_extra, field):
    expect_validation(lambda: raw_client.list_vectors(**index, **request_extra), field)


def create_index(client, **changes):
    """CreateIndex of index "bad" in the fixtures' bucket, with `changes` to a valid request."""
    request = {
        "vectorBucketName": "test-bucket",
        "indexName": "bad",
        "dataType": "float32",
        "dimension": 3,
        "distanceMetric": "cosine",
    }
    return client.create_index(**{**request, **changes})


@pytest.mark.parametrize("dimension", [0, 4097])
def test_a_dimension_outside_1_to_4096_is_refused_and_creates_nothing(
    client, raw_client, make_index, dimension
):
    make_index("first", dimension=3)
    expect_validation(
        lambda: create_index(raw_client, dimension=dimension),
        "dimension",
    )
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName="test-bucket")["indexes"]]
    assert names == ["first"]


def test_more_than_10_non_filterable_keys_is_refused_and_creates_nothing(
    client, raw_client, make_index
):
    make_index("first", dimension=3)
    expect_validation(
        lambda: create_index(
            raw_client,
            metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]},
        ),
        "metadataConfiguration.nonFilterableMetadataKeys",
    )
    with pytest.raises(ClientError) as caught:
        client.get_index(vectorBucketName="test-bucket", indexName="bad")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_an_index_name_that_aws_refuses_is_refused(raw_client, make_index):
    make_index("first", dimension=3)
    expect_validation(
        lambda: create_index(raw_client, indexName="Bad_Name"),
        "indexName",
    )


def test_creating_an_index_twice_is_a_conflict(client, make_index):
    make_index("twice", dimension=3)
    with pytest.raises(ClientError) as caught:
        make_index("twice", dimension=3)
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_the_float_limits_are_those_of_float32_and_float64() -> None:
    import numpy as np

    from devstack.s3vectors import limits

    assert float(np.finfo(np.float32).max) == limits.FLOAT32_MAX
    assert float(np.finfo(np.float64).max) == limits.FLOAT64_MAX


def test_reading_a_limit_imports_neither_moto_nor_numpy() -> None:
    """The loader and the local stack read limits without paying for the service."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, devstack.s3vectors.limits as limits; "
        "print(sorted(m for m in ('moto', 'numpy') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"
