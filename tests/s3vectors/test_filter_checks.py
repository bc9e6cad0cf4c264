"""A filter the local service cannot take is refused before any search, with a
ValidationException that names the part at fault and says what is wrong and what to do."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors.backend import LEGACY_BUCKET_TAG
from devstack.s3vectors.errors import ValidationException
from devstack.s3vectors.filters import compile_filter
from tests.support.s3vectors import expect_validation

GUIDE = "See the S3 Vectors metadata filtering guide for the supported operators."


@pytest.fixture
def index(client, make_index) -> dict[str, str]:
    selector = make_index(dimension=2, metric="euclidean", non_filterable=["body"])
    client.put_vectors(
        **selector,
        vectors=[
            {"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"v": 1, "body": "text"}},
            {"key": "b", "data": {"float32": [0.0, 1.0]}, "metadata": {"v": [2, 3]}},
        ],
    )
    return selector


def query(client, index, document: Any) -> set[str]:
    response = client.query_vectors(
        **index, topK=10, queryVector={"float32": [1.0, 1.0]}, filter=document
    )
    return {v["key"] for v in response["vectors"]}


def refused(client, index, document: Any, field: str) -> ClientError:
    return expect_validation(lambda: query(client, index, document), field)


def says(error: ClientError, problem: str, hint: str = GUIDE) -> None:
    """The error states exactly `problem`, then `hint`: AWS's message and fieldList shape."""
    field = error.response["fieldList"][0]["path"]
    assert error.response["fieldList"] == [{"path": field, "message": problem}]
    assert error.response["Error"]["Message"] == f"Invalid value for '{field}': {problem}. {hint}"


def wrapped(leaf: dict[str, Any], times: int) -> dict[str, Any]:
    """`leaf` inside `times` single-condition $and's: each adds an object and an array."""
    for _ in range(times):
        leaf = {"$and": [leaf]}
    return leaf


FLATTEN = (
    "Flatten it: several keys in one object are an AND, and one $and or $or takes many conditions."
)


def test_a_filter_of_32_levels_is_taken_and_33_are_refused(client, index):
    at_limit = wrapped({"v": {"$eq": 1}}, 15)  # 2 + 2 * 15 levels
    assert query(client, index, at_limit) == {"a"}
    over = wrapped({"v": {"$in": [1]}}, 15)  # 3 + 2 * 15 levels
    says(
        refused(client, index, over, "filter"),
        "the filter is nested 33 levels deep; at most 32 levels of objects and arrays are allowed",
        FLATTEN,
    )
    says(
        refused(client, index, wrapped({"v": {"$in": [1]}}, 400), "filter"),
        "the filter is nested 803 levels deep; at most 32 levels of objects and arrays are allowed",
        FLATTEN,
    )


@pytest.mark.parametrize(
    ("argument", "type_name"),
    [("5", "string"), (True, "boolean"), (None, "null"), ([1], "array"), ({"a": 1}, "object")],
)
def test_a_range_takes_a_number_and_says_what_it_got(client, index, argument, type_name):
    for op in ("$gt", "$gte", "$lt", "$lte"):
        error = refused(client, index, {"v": {op: argument}}, f"filter.v.{op}")
        says(error, f"{op} takes a number, got {type_name}")


PRIMITIVE = "takes a string, number or boolean, got"
NON_EMPTY = "takes a non-empty string"
AT_THE_TOP = "must appear at the top of a filter object"


@pytest.mark.parametrize(
    ("document", "field", "problem"),
    [
        ({"v": {"$eq": [1]}}, "filter.v.$eq", f"$eq {PRIMITIVE} array"),
        ({"v": {"$ne": None}}, "filter.v.$ne", f"$ne {PRIMITIVE} null"),
        ({"v": [1]}, "filter.v", f"$eq {PRIMITIVE} array"),
        ({"v": {"$in": [1, {}]}}, "filter.v.$in[1]", f"$in {PRIMITIVE} object"),
        ({"v": {"$nin": ["a", None]}}, "filter.v.$nin[1]", f"$nin {PRIMITIVE} null"),
        ({"v": {"$nin": []}}, "filter.v.$nin", "$nin takes a non-empty array of values"),
        ({"v": {"$in": 1}}, "filter.v.$in", "$in takes a non-empty array of values"),
        ({"v": {"$exists": "yes"}}, "filter.v.$exists", "$exists takes true or false, got string"),
        ({"v": {"$exists": 0}}, "filter.v.$exists", "$exists takes true or false, got number"),
        ({"v": {"$startsWith": ""}}, "filter.v.$startsWith", f"$startsWith {NON_EMPTY}"),
        ({"v": {"$startsWith": 1}}, "filter.v.$startsWith", f"$startsWith {NON_EMPTY}"),
        ({"v": {"a": 1}}, "filter.v.a", "unknown operator 'a'"),
        ({"v": {"$regex": "."}}, "filter.v.$regex", "unknown operator '$regex'"),
        ({"$not": {"v": 1}}, "filter.$not", "unknown operator '$not'"),
        ({"v": {"$or": [{"v": 1}]}}, "filter.v.$or", f"$or {AT_THE_TOP}"),
        ({"v": {"$and": [{"v": 1}]}}, "filter.v.$and", f"$and {AT_THE_TOP}"),
        ({"$and": []}, "filter.$and", "$and takes a non-empty array of filters"),
        ({"$or": {"v": 1}}, "filter.$or", "$or takes a non-empty array of filters"),
        ({"$or": [{"v": 1}, 2]}, "filter.$or[1]", "each entry must be a filter object"),
        ({"$and": [{"v": 1}, {}]}, "filter.$and[1]", "an empty object is not a filter"),
        ({"v": {}}, "filter.v", "an empty operator object is not a condition"),
        ({"": 1}, "filter", "a metadata key must not be empty"),
    ],
    ids=str,
)
def test_a_malformed_filter_says_what_is_wrong(client, index, document, field, problem):
    says(refused(client, index, document, field), problem)


def test_a_filter_on_a_non_filterable_key_says_which_keys_can_be_filtered(client, index):
    says(
        refused(client, index, {"$or": [{"v": 1}, {"body": "text"}]}, "filter.$or[1].body"),
        "metadata key 'body' is non-filterable in this index",
        "Filter only on keys not listed in metadataConfiguration.nonFilterableMetadataKeys.",
    )


def test_starts_with_in_classic_mode_says_how_to_get_enhanced(client, make_index):
    selector = make_index(
        "old", dimension=2, bucket="legacy-bucket", bucket_tags={LEGACY_BUCKET_TAG: "true"}
    )
    says(
        refused(client, selector, {"v": {"$startsWith": "a"}}, "filter.v.$startsWith"),
        "$startsWith is available only in ENHANCED mode",
        "Query with queryMode ENHANCED or switch the index with UpdateIndexMode.",
    )


FLOAT64 = "S3 Vectors keeps metadata numbers as float64; store larger numbers as strings."
ABOUT, DIGITS = "a number of about", "digits is beyond float64"


@pytest.mark.parametrize(
    ("document", "field", "problem"),
    [
        ({"v": 10**309}, "filter.v", f"{ABOUT} 310 {DIGITS}"),
        ({"v": {"$gt": -(10**400)}}, "filter.v.$gt", f"{ABOUT} 401 {DIGITS}"),
        ({"v": {"$in": [1, 18 * 10**307]}}, "filter.v.$in[1]", f"{ABOUT} 309 {DIGITS}"),
        ({"v": {"$lt": math.inf}}, "filter.v.$lt", "inf is not a finite number"),
        ({"v": {"$ne": -math.inf}}, "filter.v.$ne", "-inf is not a finite number"),
        ({"v": {"$nin": [math.nan]}}, "filter.v.$nin[0]", "nan is not a finite number"),
    ],
    ids=str,
)
def test_a_number_beyond_float64_in_a_filter_is_refused_where_it_is(
    client, index, document, field, problem
):
    says(refused(client, index, document, field), problem, FLOAT64)


def test_the_largest_float64_numbers_filter_as_numbers(client, index):
    assert query(client, index, {"v": {"$lt": 10**308}}) == {"a", "b"}
    assert query(client, index, {"v": {"$lt": 17 * 10**307}}) == {"a", "b"}
    assert query(client, index, {"v": {"$gt": -1.7976931348623157e308}}) == {"a", "b"}
    assert query(client, index, {"v": {"$in": [10**308, 3]}}) == {"b"}


@contextlib.contextmanager
def sending(client, document: dict):
    """The next QueryVectors sends `document` as its JSON body, as any client may."""

    def swap(request, **_):
        request.data = json.dumps(document).encode()

    client.meta.events.register("before-sign.s3vectors.QueryVectors", swap)
    try:
        yield
    finally:
        client.meta.events.unregister("before-sign.s3vectors.QueryVectors", swap)


@pytest.mark.parametrize("document", [{}, [], [{"v": 1}], "v", 1], ids=str)
def test_a_filter_that_is_not_a_non_empty_object_is_refused(raw_client, index, document):
    body = {**index, "topK": 1, "queryVector": {"float32": [1.0, 1.0]}, "filter": document}
    with sending(raw_client, body):
        error = refused(raw_client, index, {"v": 1}, "filter")
    says(error, "a filter must be a non-empty JSON object", "Omit 'filter' to match all.")


def test_the_filter_language_is_enhanced_unless_told_otherwise() -> None:
    """ENHANCED is the mode of every bucket made since September 30, 2026."""
    compile_filter({"v": {"$startsWith": "a"}})
    with pytest.raises(ValidationException) as caught:
        compile_filter({"v": {"$startsWith": "a"}}, enhanced=False)
    assert caught.value.field == "filter.v.$startsWith"
