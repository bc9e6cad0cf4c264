"""QueryVectors with queryTexts: every bad input refused naming its field, modes, the ENHANCED
filter cap, and writes searchable as soon as they return."""

from __future__ import annotations

import pytest

from devstack.s3vectors.backend import LEGACY_BUCKET_TAG
from tests.support.s3vectors import BUCKET, create_index, expect_validation

SEARCHABLE = [{"metadataKey": "title", "language": "en"}, {"metadataKey": "body"}]


@pytest.fixture
def index(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    create_index(
        client, BUCKET, "idx", 3, metadataConfiguration={"textSearchConfigurations": SEARCHABLE}
    )
    selector = {"vectorBucketName": BUCKET, "indexName": "idx"}
    client.put_vectors(
        **selector,
        vectors=[
            vector("a", [1, 0, 0], title="Red running shoes", body="light", n=1),
            vector("b", [0, 1, 0], title="Blue rain jacket", body="stays dry", n=2),
            vector("c", [0, 0, 1], title="Trail running shoe", body="grippy", n=3),
        ],
    )
    return selector


def vector(key, data, **metadata):
    return {"key": key, "data": {"float32": data}, "metadata": metadata}


def keys(client, index, text, key="title", **request):
    found = client.query_vectors(
        **index, topK=10, queryTexts=[{"metadataKey": key, "text": text}], **request
    )
    return [hit["key"] for hit in found["vectors"]]


TITLE = {"metadataKey": "title", "text": "shoes"}


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        ([], "queryTexts"),
        ([{"metadataKey": f"k{i}", "text": "x"} for i in range(11)], "queryTexts"),
        ([{"metadataKey": "title", "text": ""}], "queryTexts[0].text"),
        ([{"metadataKey": "title", "text": "   "}], "queryTexts[0].text"),
        ([{"metadataKey": "title", "text": "x" * 1025}], "queryTexts[0].text"),
        ([{"metadataKey": "title"}], "queryTexts[0].text"),
        ([{"text": "shoes"}], "queryTexts[0].metadataKey"),
        ([{"metadataKey": "", "text": "shoes"}], "queryTexts[0].metadataKey"),
        ([TITLE, {"metadataKey": "title", "text": "red"}], "queryTexts[1].metadataKey"),
        ([TITLE, {"metadataKey": "color", "text": "red"}], "queryTexts[1].metadataKey"),
    ],
    ids=[
        "none", "eleven", "empty text", "blank text", "text too long", "no text", "no key",
        "empty key", "key twice", "key not searchable",
    ],
)  # fmt: skip
def test_bad_query_texts_are_refused_naming_the_field(raw_client, index, texts, field):
    expect_validation(lambda: raw_client.query_vectors(**index, topK=3, queryTexts=texts), field)


def test_at_most_ten_texts_all_distinct_searchable_keys_are_accepted(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    ten = [{"metadataKey": f"k{i}"} for i in range(10)]
    create_index(client, BUCKET, "ten", 2, metadataConfiguration={"textSearchConfigurations": ten})
    selector = {"vectorBucketName": BUCKET, "indexName": "ten"}
    client.put_vectors(**selector, vectors=[vector("a", [1, 0], k9="ten words")])
    texts = [{"metadataKey": f"k{i}", "text": "words"} for i in range(10)]
    found = client.query_vectors(**selector, topK=5, queryTexts=texts, returnScores=True)
    assert found["vectors"][0]["key"] == "a"
    assert [s["metadataKey"] for s in found["vectors"][0]["scores"]["bm25Scores"]] == ["k9"]


def test_a_text_query_needs_a_vector_of_the_index_dimension_if_it_has_one(raw_client, index):
    expect_validation(
        lambda: raw_client.query_vectors(
            **index, topK=3, queryTexts=[TITLE], queryVector={"float32": [1, 0]}
        ),
        "queryVector",
    )
    expect_validation(lambda: raw_client.query_vectors(**index, topK=3), "queryVector")


def test_a_page_token_belongs_to_its_own_texts(client, raw_client, index):
    client.put_vectors(
        **index, vectors=[vector(f"s{i:03d}", [1, 1, i], title="shoes") for i in range(150)]
    )
    first = client.query_vectors(**index, topK=200, queryTexts=[TITLE])
    assert len(first["vectors"]) == 100
    other = [{"metadataKey": "title", "text": "running shoes"}]
    expect_validation(
        lambda: raw_client.query_vectors(
            **index, topK=200, queryTexts=other, nextToken=first["nextToken"]
        ),
        "nextToken",
    )


def test_return_scores_on_a_vector_search_adds_nothing(client, index):
    found = client.query_vectors(
        **index, topK=2, queryVector={"float32": [1, 0, 0]}, returnScores=True
    )
    assert [set(hit) for hit in found["vectors"]] == [{"key"}, {"key"}]


def test_full_text_on_a_classic_query_is_refused_naming_where_the_mode_came_from(client):
    client.create_vector_bucket(vectorBucketName=BUCKET, tags={LEGACY_BUCKET_TAG: "true"})
    create_index(
        client, BUCKET, "old", 3, metadataConfiguration={"textSearchConfigurations": SEARCHABLE}
    )
    selector = {"vectorBucketName": BUCKET, "indexName": "old"}
    assert client.get_index(**selector)["index"]["indexMode"] == "CLASSIC"
    client.put_vectors(**selector, vectors=[vector("a", [1, 0, 0], title="red shoes")])
    expect_validation(lambda: keys(client, selector, "shoes"), "queryTexts")
    expect_validation(lambda: keys(client, selector, "shoes", queryMode="CLASSIC"), "queryMode")
    assert keys(client, selector, "shoes", queryMode="ENHANCED") == ["a"]
    client.update_index_mode(**selector, indexMode="ENHANCED")
    assert keys(client, selector, "shoes") == ["a"]


def test_vectors_are_searchable_as_soon_as_their_write_returns(client, index):
    assert keys(client, index, "boots") == []
    client.put_vectors(**index, vectors=[vector("d", [1, 1, 0], title="Hiking boots")])
    assert keys(client, index, "boot") == ["d"]
    client.put_vectors(**index, vectors=[vector("d", [1, 1, 0], title="Wool socks")])
    assert keys(client, index, "boot") == []
    assert keys(client, index, "sock") == ["d"]
    client.delete_vectors(**index, keys=["a"])
    assert keys(client, index, "running shoes") == ["c"]


def test_lists_of_strings_are_searched_and_other_values_are_not(client, index):
    client.put_vectors(
        **index,
        vectors=[
            vector("l", [1, 1, 1], title=["Waterproof", "hiking boots"]),
            vector("n", [1, 1, 1], title=7),
        ],
    )
    assert keys(client, index, "boots waterproof") == ["l"]
    assert keys(client, index, "7") == []


def test_the_filter_applies_to_text_and_vector_rankings(client, index):
    found = client.query_vectors(
        **index,
        topK=3,
        queryTexts=[TITLE],
        queryVector={"float32": [0, 1, 0]},
        filter={"n": {"$gte": 3}},
        returnScores=True,
    )["vectors"]
    assert [hit["key"] for hit in found] == ["c"]
    assert set(found[0]["scores"]) == {"fused", "bm25Scores", "vectorDistance"}


def in_filter(count, op="$in"):
    return {"n": {op: list(range(count))}}


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (in_filter(100), True),
        (in_filter(101), False),
        ({"$and": [in_filter(60), {"n": {"$nin": list(range(100, 141))}}]}, False),
        ({"$or": [{"n": i} for i in range(100)]}, True),
        ({"$or": [{"n": i} for i in range(100)] + [{"title": {"$exists": True}}]}, False),
    ],
    ids=["100 $in values", "101 $in values", "$in and $nin", "100 terms", "101 terms"],
)
def test_an_enhanced_filter_holds_at_most_100_constraints(client, index, document, allowed):
    def query():
        return client.query_vectors(
            **index, topK=3, queryVector={"float32": [1, 0, 0]}, filter=document
        )

    if allowed:
        query()
    else:
        expect_validation(query, "filter")


def test_a_classic_filter_has_no_such_cap(client):
    client.create_vector_bucket(vectorBucketName=BUCKET, tags={LEGACY_BUCKET_TAG: "true"})
    create_index(client, BUCKET, "old", 3)
    selector = {"vectorBucketName": BUCKET, "indexName": "old"}
    client.put_vectors(**selector, vectors=[vector("a", [1, 0, 0], n=150)])
    found = client.query_vectors(
        **selector, topK=3, queryVector={"float32": [1, 0, 0]}, filter=in_filter(200)
    )
    assert [hit["key"] for hit in found["vectors"]] == ["a"]
    expect_validation(
        lambda: client.query_vectors(
            **selector,
            topK=3,
            queryVector={"float32": [1, 0, 0]},
            filter=in_filter(200),
            queryMode="ENHANCED",
        ),
        "filter",
    )
