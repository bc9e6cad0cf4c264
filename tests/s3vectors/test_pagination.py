"""Query and list pagination return every key exactly once; segments partition the keys."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.s3vectors import all_keys, expect_validation, pages, put_all, query_all


@pytest.fixture
def many(client, make_index):
    selector = make_index(dimension=2, metric="euclidean")
    keys = [f"key-{i:04d}" for i in range(1234)]
    put_all(
        client,
        selector,
        [
            {"key": k, "data": {"float32": [float(i % 97), float(i % 13)]}}
            for i, k in enumerate(keys)
        ],
    )
    return selector, keys


def test_query_pages_hold_100_results_and_cover_topk_exactly_once(client, many):
    selector, _ = many
    results = [
        page["vectors"]
        for page in pages(
            client.query_vectors,
            **selector,
            topK=1000,
            queryVector={"float32": [3, 4]},
            returnDistance=True,
        )
    ]
    assert [len(p) for p in results] == [100] * 10
    seen = [v["key"] for p in results for v in p]
    assert len(set(seen)) == 1000
    distances = [v["distance"] for p in results for v in p]
    assert distances == sorted(distances)


def test_query_with_the_largest_topk_returns_every_key_once(client, many):
    selector, keys = many
    results = query_all(client, selector, topK=10_000, queryVector={"float32": [0, 0]})
    assert Counter(v["key"] for v in results) == Counter(keys)


@pytest.mark.parametrize(
    "change",
    [
        {"queryVector": {"float32": [1, 1]}},
        {"topK": 999},
        {"filter": {"x": 1}},
    ],
    ids=["vector", "topK", "filter"],
)
def test_a_query_token_reused_with_another_request_is_refused(client, many, change):
    selector, _ = many
    request = {"topK": 1000, "queryVector": {"float32": [3, 4]}}
    token = client.query_vectors(**selector, **request)["nextToken"]
    expect_validation(
        lambda: client.query_vectors(**selector, **{**request, **change}, nextToken=token),
        "nextToken",
    )


def test_a_made_up_query_token_is_refused(client, many):
    selector, _ = many
    expect_validation(
        lambda: client.query_vectors(
            **selector, topK=5, queryVector={"float32": [3, 4]}, nextToken="not-a-token"
        ),
        "nextToken",
    )


@pytest.mark.parametrize("page_size", [1, 7, 100, 1000])
def test_list_pages_return_every_key_exactly_once(client, many, page_size):
    selector, keys = many
    seen = []
    count = 0
    for page in pages(client.list_vectors, **selector, maxResults=page_size):
        assert len(page["vectors"]) <= page_size
        seen += [v["key"] for v in page["vectors"]]
        count += 1
    assert Counter(seen) == Counter(keys)
    assert count == -(-len(keys) // page_size)


def test_list_pages_continue_after_the_longest_non_ascii_key(client, make_index):
    # 1,024 three-byte characters: a token that simply carried this key would exceed the
    # model's 4,096-character nextToken, and boto3 would refuse to send it back.
    selector = make_index(dimension=2)
    keys = ["\u20ac" * 1024, "\u20ac" * 1023 + "z", "plain"]
    client.put_vectors(**selector, vectors=[{"key": k, "data": {"float32": [1, 0]}} for k in keys])
    seen = []
    for page in pages(client.list_vectors, **selector, maxResults=1):
        seen += [v["key"] for v in page["vectors"]]
        assert len(page.get("nextToken", "")) <= 4096
    assert seen == sorted(keys)


def test_list_defaults_to_pages_of_500(client, many):
    selector, _ = many
    assert len(client.list_vectors(**selector)["vectors"]) == 500


@pytest.mark.parametrize("segment_count", [1, 2, 3, 16])
def test_segments_are_disjoint_and_complete(client, many, segment_count):
    selector, keys = many
    by_segment = []
    for segment in range(segment_count):
        listing = pages(
            client.list_vectors,
            **selector,
            maxResults=50,
            segmentCount=segment_count,
            segmentIndex=segment,
        )
        by_segment.append([v["key"] for page in listing for v in page["vectors"]])
    everything = [k for found in by_segment for k in found]
    assert Counter(everything) == Counter(keys)
    if segment_count > 1:
        assert all(found for found in by_segment), "every segment holds some keys"


def test_a_list_token_from_one_segment_is_refused_in_another(client, many):
    selector, _ = many
    token = client.list_vectors(**selector, maxResults=5, segmentCount=4, segmentIndex=0)[
        "nextToken"
    ]
    expect_validation(
        lambda: client.list_vectors(
            **selector, maxResults=5, segmentCount=4, segmentIndex=1, nextToken=token
        ),
        "nextToken",
    )


def test_segment_count_and_index_must_come_together(client, many):
    selector, _ = many
    expect_validation(lambda: client.list_vectors(**selector, segmentCount=4), "segmentIndex")
    expect_validation(lambda: client.list_vectors(**selector, segmentIndex=1), "segmentCount")


def test_list_returns_data_and_metadata_only_when_asked(client, make_index):
    selector = make_index(dimension=2)
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [0.5, 2]}, "metadata": {"m": 1}}]
    )
    assert client.list_vectors(**selector)["vectors"] == [{"key": "a"}]
    full = client.list_vectors(**selector, returnData=True, returnMetadata=True)["vectors"]
    assert full == [{"key": "a", "data": {"float32": [0.5, 2.0]}, "metadata": {"m": 1}}]


def test_listing_sees_deletes(client, many):
    selector, keys = many
    client.delete_vectors(**selector, keys=keys[:300])
    assert sorted(all_keys(client, selector)) == sorted(keys[300:])
