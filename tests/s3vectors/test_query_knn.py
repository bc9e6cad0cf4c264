"""QueryVectors returns exactly the brute-force k nearest neighbours, in pages of 100."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.s3vectors import put_all, query_all


def reference(data, keys, query, metric, top_k, allowed=None):
    """Brute force in float64 over the stored float32 values: (key, distance), ties by key."""
    rows = data.astype(np.float64)
    q = query.astype(np.float64)
    if metric == "cosine":
        distances = 1 - rows @ q / (np.linalg.norm(rows, axis=1) * np.linalg.norm(q))
    else:
        distances = np.linalg.norm(rows - q, axis=1)
    pairs = [
        (float(d), k)
        for i, (d, k) in enumerate(zip(distances, keys, strict=True))
        if allowed is None or allowed[i]
    ]
    return [(k, d) for d, k in sorted(pairs)[:top_k]]


def load(client, make_index, *, count, dimension, metric, rng, integers=False):
    selector = make_index(dimension=dimension, metric=metric)
    if integers:  # small integers make exact ties, which must fall back to key order
        data = rng.integers(-3, 4, size=(count, dimension)).astype(np.float32)
        data[~data.any(axis=1), 0] = 1  # cosine rejects all-zero vectors
    else:
        data = rng.standard_normal((count, dimension)).astype(np.float32)
    keys = [f"v{i:05d}" for i in rng.permutation(count)]
    put_all(
        client,
        selector,
        [
            {"key": k, "data": {"float32": row.tolist()}, "metadata": {"group": i % 5}}
            for i, (k, row) in enumerate(zip(keys, data, strict=True))
        ],
    )
    return selector, data, keys


def assert_same_ranking(results, expected):
    assert [r["key"] for r in results] == [k for k, _ in expected]
    got = np.array([r["distance"] for r in results])
    want = np.array([d for _, d in expected])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


CASES = [
    # (dimension, count, topK) — topK crosses page boundaries where count allows
    (1, 300, 250),
    (5, 400, 150),
    (768, 1000, 120),
    (4096, 150, 101),
]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize(("dimension", "count", "top_k"), CASES)
def test_results_equal_a_brute_force_reference(client, make_index, metric, dimension, count, top_k):
    rng = np.random.default_rng(dimension * 7 + len(metric))
    selector, data, keys = load(
        client, make_index, count=count, dimension=dimension, metric=metric, rng=rng
    )
    query = rng.standard_normal(dimension).astype(np.float32)
    results = query_all(
        client, selector, topK=top_k, queryVector={"float32": query.tolist()}, returnDistance=True
    )
    assert_same_ranking(results, reference(data, keys, query, metric, top_k))


FILTERS = [
    # (filter, which loaded rows it keeps, topK); rows carry {"group": row % 5}
    ({"group": {"$in": [0, 2, 4]}}, lambda row: row % 5 in (0, 2, 4), 130),  # a full scan
    ({"group": 3}, lambda row: row % 5 == 3, 20),  # a fifth: only the matching rows are read
]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("dimension", [1, 5, 768, 4096])
@pytest.mark.parametrize(("filter_document", "keeps", "top_k"), FILTERS, ids=["broad", "selective"])
def test_filtered_results_equal_a_brute_force_reference(
    client, make_index, metric, dimension, filter_document, keeps, top_k
):
    rng = np.random.default_rng(dimension + 99)
    count = 150 if dimension == 4096 else 400
    selector, data, keys = load(
        client, make_index, count=count, dimension=dimension, metric=metric, rng=rng
    )
    allowed = [keeps(i) for i in range(count)]
    query = rng.standard_normal(dimension).astype(np.float32)
    results = query_all(
        client,
        selector,
        topK=top_k,
        queryVector={"float32": query.tolist()},
        filter=filter_document,
        returnDistance=True,
    )
    assert_same_ranking(results, reference(data, keys, query, metric, top_k, allowed))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_equal_distances_are_ordered_by_key(client, make_index, metric):
    rng = np.random.default_rng(3)
    selector, data, keys = load(
        client, make_index, count=300, dimension=2, metric=metric, rng=rng, integers=True
    )
    query = np.array([1, 0], dtype=np.float32)
    results = query_all(
        client, selector, topK=300, queryVector={"float32": query.tolist()}, returnDistance=True
    )
    assert_same_ranking(results, reference(data, keys, query, metric, 300))


def test_topk_larger_than_the_index_returns_every_vector_once(client, make_index):
    rng = np.random.default_rng(5)
    selector, _, keys = load(client, make_index, count=234, dimension=4, metric="cosine", rng=rng)
    results = query_all(client, selector, topK=10_000, queryVector={"float32": [1, 2, 3, 4]})
    assert sorted(r["key"] for r in results) == sorted(keys)


def test_a_filter_matching_fewer_than_topk_returns_only_the_matches(client, make_index):
    rng = np.random.default_rng(6)
    selector, _, keys = load(client, make_index, count=30, dimension=4, metric="cosine", rng=rng)
    results = query_all(
        client, selector, topK=50, queryVector={"float32": [1, 2, 3, 4]}, filter={"group": 1}
    )
    assert sorted(r["key"] for r in results) == sorted(keys[i] for i in range(30) if i % 5 == 1)


def test_cosine_distance_is_one_minus_cosine_and_euclidean_is_l2(client, make_index):
    cosine = make_index("cos", dimension=2, metric="cosine")
    euclid = make_index("euc", dimension=2, metric="euclidean")
    vectors = [{"key": "x", "data": {"float32": [3, 4]}}]
    client.put_vectors(**cosine, vectors=vectors)
    client.put_vectors(**euclid, vectors=vectors)
    query = {"float32": [1, 0]}
    cos = client.query_vectors(**cosine, topK=1, queryVector=query, returnDistance=True)
    euc = client.query_vectors(**euclid, topK=1, queryVector=query, returnDistance=True)
    assert cos["distanceMetric"] == "cosine"
    assert euc["distanceMetric"] == "euclidean"
    assert cos["vectors"][0]["distance"] == pytest.approx(1 - 3 / 5)
    assert euc["vectors"][0]["distance"] == pytest.approx(np.hypot(2, 4))


def test_distance_and_metadata_come_back_only_when_asked(client, make_index):
    selector = make_index(dimension=2)
    meta = {"genre": "drama", "year": 2020}
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [1, 1]}, "metadata": meta}]
    )
    plain = client.query_vectors(**selector, topK=1, queryVector={"float32": [1, 1]})
    assert plain["vectors"] == [{"key": "a"}]
    assert "nextToken" not in plain
    full = client.query_vectors(
        **selector,
        topK=1,
        queryVector={"float32": [1, 1]},
        returnMetadata=True,
        returnDistance=True,
    )
    assert full["vectors"][0]["metadata"] == meta
    assert full["vectors"][0]["distance"] == pytest.approx(0, abs=1e-6)


def test_queries_see_puts_overwrites_and_deletes(client, make_index):
    selector = make_index(dimension=2, metric="euclidean")
    client.put_vectors(
        **selector,
        vectors=[{"key": k, "data": {"float32": [float(i), 0]}} for i, k in enumerate("abcde")],
    )
    client.delete_vectors(**selector, keys=["a", "c", "not-there"])
    client.put_vectors(**selector, vectors=[{"key": "e", "data": {"float32": [-0.5, 0]}}])
    results = client.query_vectors(**selector, topK=10, queryVector={"float32": [0, 0]})
    assert [v["key"] for v in results["vectors"]] == ["e", "b", "d"]


def test_an_empty_index_returns_no_vectors(client, make_index):
    selector = make_index(dimension=2)
    response = client.query_vectors(**selector, topK=5, queryVector={"float32": [1, 0]})
    assert response["vectors"] == []
    assert response["distanceMetric"] == "cosine"


def test_the_index_can_be_named_by_arn(client, make_index):
    selector = make_index(dimension=2)
    arn = client.get_index(**selector)["index"]["indexArn"]
    client.put_vectors(indexArn=arn, vectors=[{"key": "a", "data": {"float32": [1, 0]}}])
    response = client.query_vectors(indexArn=arn, topK=1, queryVector={"float32": [1, 0]})
    assert response["vectors"] == [{"key": "a"}]
