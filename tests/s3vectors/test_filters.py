"""The filter language, operator by operator, against every kind of metadata value."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.s3vectors import expect_validation

# One vector per kind of value under key "v"; "w" is a second key for implicit AND.
METADATA: dict[str, dict[str, Any]] = {
    "string": {"v": "red"},
    "list": {"v": ["red", "blue"]},
    "numbers": {"v": [1, 5]},
    "number": {"v": 5, "w": "x"},
    "float": {"v": 2.5},
    "one": {"v": 1},
    "true": {"v": True},
    "false": {"v": False},
    "missing": {"w": "x"},
}
EVERYONE = set(METADATA)

CONFORMANCE = [
    # implicit and explicit $eq: a list matches when any element does; no type coercion
    ({"v": "red"}, {"string", "list"}),
    ({"v": {"$eq": "blue"}}, {"list"}),
    ({"v": {"$eq": 5}}, {"numbers", "number"}),
    ({"v": {"$eq": 5.0}}, {"numbers", "number"}),
    ({"v": {"$eq": 1}}, {"numbers", "one"}),
    ({"v": {"$eq": True}}, {"true"}),
    ({"v": {"$eq": False}}, {"false"}),
    ({"v": {"$eq": "5"}}, set()),
    # $ne is the negation of $eq, so a missing key matches
    ({"v": {"$ne": "red"}}, EVERYONE - {"string", "list"}),
    ({"v": {"$ne": 1}}, EVERYONE - {"numbers", "one"}),
    ({"v": {"$ne": True}}, EVERYONE - {"true"}),
    # ranges take numbers only; strings, booleans and missing never match
    ({"v": {"$gt": 4}}, {"numbers", "number"}),
    ({"v": {"$gte": 5}}, {"numbers", "number"}),
    ({"v": {"$lt": 2.5}}, {"numbers", "one"}),
    ({"v": {"$lte": 2.5}}, {"numbers", "one", "float"}),
    ({"v": {"$gt": 0}}, {"numbers", "number", "float", "one"}),
    ({"v": {"$gt": 1, "$lt": 5}}, {"numbers", "float"}),
    # $in / $nin
    ({"v": {"$in": ["blue", 5]}}, {"list", "numbers", "number"}),
    ({"v": {"$in": [True, 2.5]}}, {"true", "float"}),
    ({"v": {"$nin": ["red", True]}}, EVERYONE - {"string", "list", "true"}),
    ({"v": {"$nin": [1]}}, EVERYONE - {"numbers", "one"}),
    # $exists
    ({"v": {"$exists": True}}, EVERYONE - {"missing"}),
    ({"v": {"$exists": False}}, {"missing"}),
    ({"w": {"$exists": True}}, {"number", "missing"}),
    # $startsWith (ENHANCED): strings and lists of strings
    ({"v": {"$startsWith": "re"}}, {"string", "list"}),
    ({"v": {"$startsWith": "bl"}}, {"list"}),
    # $and, $or, implicit AND, nesting
    ({"v": 5, "w": "x"}, {"number"}),
    ({"v": {"$exists": False}, "w": "x"}, {"missing"}),
    ({"$and": [{"v": {"$gte": 1}}, {"v": {"$lte": 1}}]}, {"numbers", "one"}),
    ({"$and": [{"v": "red"}, {"v": "blue"}]}, {"list"}),
    ({"$or": [{"v": "red"}, {"v": True}]}, {"string", "list", "true"}),
    ({"$or": [{"v": {"$exists": False}}, {"v": {"$lt": 2}}]}, {"missing", "numbers", "one"}),
    (
        {"$or": [{"$and": [{"v": {"$gte": 5}}, {"w": "x"}]}, {"v": False}]},
        {"number", "false"},
    ),
    (
        {"$and": [{"$or": [{"v": "red"}, {"v": 5}]}, {"v": {"$ne": "blue"}}]},
        {"string", "number", "numbers"},
    ),
]


@pytest.fixture
def labelled(client, make_index) -> dict[str, str]:
    selector = make_index(dimension=2, metric="euclidean")
    client.put_vectors(
        **selector,
        vectors=[
            {"key": key, "data": {"float32": [float(i), 0.0]}, "metadata": meta}
            for i, (key, meta) in enumerate(METADATA.items())
        ],
    )
    return selector


def matching(client, selector, filter_document) -> set[str]:
    response = client.query_vectors(
        **selector, topK=100, queryVector={"float32": [0.0, 0.0]}, filter=filter_document
    )
    return {v["key"] for v in response["vectors"]}


@pytest.mark.parametrize(("filter_document", "expected"), CONFORMANCE, ids=str)
def test_each_filter_matches_exactly_the_documented_vectors(
    client, labelled, filter_document, expected
):
    assert matching(client, labelled, filter_document) == expected


MIXED_LIST = {"v": ["x", 7, True]}


@pytest.mark.parametrize(
    ("filter_document", "matches"),
    [
        ({"v": "x"}, True),
        ({"v": 7}, True),
        ({"v": True}, True),
        ({"v": {"$gt": 6}}, True),
        ({"v": {"$in": ["nope", True]}}, True),
        ({"v": {"$startsWith": "x"}}, True),
        ({"v": "7"}, False),
        ({"v": 1}, False),
        ({"v": {"$lt": 1}}, False),
        ({"v": {"$ne": 7}}, False),
        ({"v": {"$nin": ["y", 8]}}, True),
    ],
    ids=str,
)
def test_each_element_of_a_mixed_list_keeps_its_own_type(
    client, make_index, filter_document, matches
):
    selector = make_index(dimension=2, metric="euclidean")
    client.put_vectors(
        **selector,
        vectors=[
            {"key": "mixed", "data": {"float32": [1.0, 0.0]}, "metadata": MIXED_LIST},
            {"key": "plain", "data": {"float32": [2.0, 0.0]}, "metadata": {"v": "other"}},
        ],
    )
    assert ("mixed" in matching(client, selector, filter_document)) is matches


INVALID = [
    ({"v": {"$regex": "r.*"}}, "filter.v.$regex"),
    ({"$not": {"v": 1}}, "filter.$not"),
    ({"v": {"$gt": "5"}}, "filter.v.$gt"),
    ({"v": {"$gt": True}}, "filter.v.$gt"),
    ({"v": {"$in": []}}, "filter.v.$in"),
    ({"v": {"$in": "red"}}, "filter.v.$in"),
    ({"v": {"$in": [["red"]]}}, "filter.v.$in[0]"),
    ({"v": {"$nin": [{"a": 1}]}}, "filter.v.$nin[0]"),
    ({"v": {"$exists": 1}}, "filter.v.$exists"),
    ({"v": {"$eq": ["red"]}}, "filter.v.$eq"),
    ({"v": {"$ne": None}}, "filter.v.$ne"),
    ({"v": ["red"]}, "filter.v"),
    ({"v": None}, "filter.v"),
    ({"v": {}}, "filter.v"),
    ({"v": {"$and": [{"v": 1}]}}, "filter.v.$and"),
    ({"$and": []}, "filter.$and"),
    ({"$or": {"v": 1}}, "filter.$or"),
    ({"$and": ["v"]}, "filter.$and[0]"),
    ({"$or": [{}]}, "filter.$or[0]"),
    ({"v": {"$startsWith": ""}}, "filter.v.$startsWith"),
    ({"v": {"$startsWith": 5}}, "filter.v.$startsWith"),
    ({}, "filter"),
]


@pytest.mark.parametrize(("filter_document", "field"), INVALID, ids=str)
def test_a_malformed_filter_is_a_validation_error_naming_the_part(
    client, labelled, filter_document, field
):
    expect_validation(lambda: matching(client, labelled, filter_document), field)


def test_a_filter_on_a_non_filterable_key_is_a_validation_error(client, make_index):
    selector = make_index(dimension=2, metric="euclidean", non_filterable=["text"])
    client.put_vectors(
        **selector,
        vectors=[{"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"text": "hello"}}],
    )
    expect_validation(lambda: matching(client, selector, {"text": "hello"}), "filter.text")
    nested = {"$or": [{"kind": "x"}, {"text": {"$exists": True}}]}
    expect_validation(lambda: matching(client, selector, nested), "filter.$or[1].text")


def test_non_filterable_metadata_is_still_returned(client, make_index):
    selector = make_index(dimension=2, metric="euclidean", non_filterable=["text"])
    meta = {"text": "long body", "kind": "doc"}
    client.put_vectors(
        **selector, vectors=[{"key": "a", "data": {"float32": [1, 0]}, "metadata": meta}]
    )
    response = client.query_vectors(
        **selector,
        topK=1,
        queryVector={"float32": [1, 0]},
        filter={"kind": "doc"},
        returnMetadata=True,
    )
    assert response["vectors"] == [{"key": "a", "metadata": meta}]
