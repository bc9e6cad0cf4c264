"""Each limit of the local service at its exact edge: the largest allowed value is taken and the
next one is refused with a ValidationException that names the field and says what to do.

Sizes are worked out here from their definitions (compact JSON in UTF-8 for metadata, the
HTTP body boto3 sends for a PutVectors request), never read back from the service.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.support.s3vectors import all_keys, expect_validation, says, sending

KB = 1024
MIB = 1024 * 1024


def vec(key, values, metadata=None):
    item = {"key": key, "data": {"float32": values}}
    if metadata is not None:
        item["metadata"] = metadata
    return item


def json_bytes(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def padded(key: str, size: int, char: str = "x") -> dict[str, str]:
    """{key: string} whose compact JSON is exactly `size` bytes (char of 1 or 2 bytes)."""
    room = size - len(f'{{"{key}":""}}')
    width = len(char.encode("utf-8"))
    meta = {key: char * (room // width) + "x" * (room % width)}
    assert json_bytes(meta) == size
    return meta


def put_raw(client, index, vectors) -> None:
    """PutVectors of `vectors` exactly as given, as JSON."""
    with sending(client, "PutVectors", {**index, "vectors": vectors}):
        client.put_vectors(**index, vectors=[])


@pytest.fixture
def index(client, make_index):
    return make_index(dimension=3, metric="cosine", non_filterable=["body"])


def put(client, index, *vectors):
    client.put_vectors(**index, vectors=list(vectors))


def refused(raw_client, index, field, *vectors):
    return expect_validation(lambda: put(raw_client, index, *vectors), field)


def test_an_error_names_the_field_says_the_problem_and_adds_a_hint_only_when_there_is_one(
    raw_client, index
):
    error = expect_validation(lambda: put(raw_client, index, vec(7, [1, 2, 3])), "vectors[0].key")
    assert error.response["Error"]["Message"] == (
        "Invalid value for 'vectors[0].key': a key must be a string, got number."
    )
    assert error.response["fieldList"] == [
        {"path": "vectors[0].key", "message": "a key must be a string, got number"}
    ]
    error = expect_validation(lambda: put(raw_client, index), "vectors")
    assert error.response["Error"]["Message"] == (
        "Invalid value for 'vectors': has 0 items; between 1 and 500 are allowed. Send at least 1."
    )
    assert error.response["fieldList"] == [
        {"path": "vectors", "message": "has 0 items; between 1 and 500 are allowed"}
    ]


@pytest.mark.parametrize(
    ("selector", "field", "problem", "hint"),
    [
        (
            {"indexArn": "arn", "indexName": "idx"},
            "indexArn",
            "indexArn was given together with vectorBucketName/indexName",
            "Specify either indexArn or both vectorBucketName and indexName, not both.",
        ),
        (
            {"indexArn": "arn", "vectorBucketName": "test-bucket"},
            "indexArn",
            "indexArn was given together with vectorBucketName/indexName",
            "Specify either indexArn or both vectorBucketName and indexName, not both.",
        ),
        (
            {"vectorBucketName": "test-bucket"},
            "indexName",
            "the index is not fully specified",
            "Specify either indexArn or both vectorBucketName and indexName.",
        ),
        (
            {"indexName": "idx"},
            "vectorBucketName",
            "the index is not fully specified",
            "Specify either indexArn or both vectorBucketName and indexName.",
        ),
    ],
    ids=["arn and name", "arn and bucket", "bucket alone", "name alone"],
)
def test_an_index_named_both_ways_or_half_says_how_to_name_it(
    raw_client, index, selector, field, problem, hint
):
    error = expect_validation(
        lambda: raw_client.query_vectors(**selector, topK=1, queryVector={"float32": [1, 1, 1]}),
        field,
    )
    says(error, problem, hint)


# -- metadata sizes ------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["x", "é"], ids=["ascii", "two-byte"])
def test_metadata_of_exactly_40_kb_is_taken_and_one_byte_more_is_refused(
    client, raw_client, index, char
):
    put(client, index, vec("edge", [1, 2, 3], padded("body", 40 * KB, char)))
    error = refused(
        raw_client,
        index,
        "vectors[1].metadata",
        vec("fine", [1, 2, 3]),
        vec("over", [1, 2, 3], padded("body", 40 * KB + 1, char)),
    )
    says(
        error,
        f"metadata is {40 * KB + 1} bytes; at most {40 * KB} bytes are allowed",
        "Keep large content outside S3 Vectors and store a reference to it.",
    )
    assert all_keys(client, index) == ["edge"]


@pytest.mark.parametrize("char", ["x", "é"], ids=["ascii", "two-byte"])
def test_filterable_metadata_of_exactly_2_kb_is_taken_and_one_byte_more_is_refused(
    client, raw_client, index, char
):
    # Non-filterable keys ("body") do not count towards the 2 KB, only towards the 40 KB.
    edge = {**padded("title", 2 * KB, char), "body": "y" * (30 * KB)}
    put(client, index, vec("edge", [1, 2, 3], edge))
    over = {**padded("title", 2 * KB + 1, char), "body": "y"}
    says(
        refused(raw_client, index, "vectors[0].metadata", vec("over", [1, 2, 3], over)),
        f"filterable metadata is {2 * KB + 1} bytes; at most {2 * KB} bytes are allowed",
        "Declare large keys in metadataConfiguration.nonFilterableMetadataKeys.",
    )
    # Metadata of filterable keys only counts whole.
    only = padded("title", 2 * KB + 1, char)
    says(
        refused(raw_client, index, "vectors[0].metadata", vec("only", [1, 2, 3], only)),
        f"filterable metadata is {2 * KB + 1} bytes; at most {2 * KB} bytes are allowed",
        "Declare large keys in metadataConfiguration.nonFilterableMetadataKeys.",
    )
    put(client, index, vec("alone", [1, 2, 3], padded("title", 2 * KB, char)))
    assert sorted(all_keys(client, index)) == ["alone", "edge"]


def test_metadata_of_50_keys_is_taken_and_51_are_refused(client, raw_client, index):
    put(client, index, vec("edge", [1, 2, 3], {f"m{i}": i for i in range(50)}))
    over = vec("over", [1, 2, 3], {f"m{i}": i for i in range(51)})
    says(
        refused(raw_client, index, "vectors[0].metadata", over),
        "has 51 keys; at most 50 are allowed",
        "Combine or drop keys.",
    )


FLOAT64 = "S3 Vectors keeps metadata numbers as float64; store larger numbers as strings."
NOT_SCALAR = "metadata values must be a string, number, boolean or list of those"
NOT_SCALAR_ITEM = "list elements must be strings, numbers or booleans"


@pytest.mark.parametrize(
    ("metadata", "field", "problem", "hint"),
    [
        ({"m": 10**309}, "m", "a number of about 310 digits is beyond float64", FLOAT64),
        ({"m": -(10**400)}, "m", "a number of about 401 digits is beyond float64", FLOAT64),
        ({"m": 18 * 10**307}, "m", "a number of about 309 digits is beyond float64", FLOAT64),
        ({"m": [1, 10**309]}, "m[1]", "a number of about 310 digits is beyond float64", FLOAT64),
        ({"m": math.inf}, "m", "inf is not a finite number", FLOAT64),
        ({"m": [1.5, -math.inf]}, "m[1]", "-inf is not a finite number", FLOAT64),
        ({"m": math.nan}, "m", "nan is not a finite number", FLOAT64),
        ({"m": None}, "m", NOT_SCALAR, "Flatten nested objects into keys of their own."),
        ({"m": {"a": 1}}, "m", NOT_SCALAR, "Flatten nested objects into keys of their own."),
        ({"m": [None]}, "m[0]", NOT_SCALAR_ITEM, "Flatten nested values into keys of their own."),
        (
            {"m": [{"a": 1}]},
            "m[0]",
            NOT_SCALAR_ITEM,
            "Flatten nested values into keys of their own.",
        ),
        (
            {"m": ["a", [1]]},
            "m[1]",
            NOT_SCALAR_ITEM,
            "Flatten nested values into keys of their own.",
        ),
    ],
    ids=str,
)
def test_a_metadata_value_s3_vectors_cannot_keep_is_refused_where_it_is(
    client, raw_client, index, metadata, field, problem, hint
):
    good = vec("good", [1, 2, 3], {"m": [1, "a", True, 2.5]})
    error = refused(
        raw_client, index, f"vectors[1].metadata.{field}", good, vec("bad", [1, 2, 3], metadata)
    )
    says(error, problem, hint)
    assert all_keys(client, index) == []


def test_metadata_that_is_not_an_object_is_refused(raw_client, index):
    says(
        refused(raw_client, index, "vectors[0].metadata", vec("bad", [1, 2, 3], ["a"])),
        "metadata must be a JSON object",
    )


def test_the_largest_float64_numbers_are_taken(client, index):
    largest = int(1.7976931348623157e308)  # the largest float64, as the integer it is
    numbers = {
        "i": largest,
        "n": -largest,
        "f": 1.7976931348623157e308,
        "l": [10**308, -1e308, largest, -largest],
    }
    put(client, index, vec("big", [1, 2, 3], numbers))
    got = client.get_vectors(**index, keys=["big"], returnMetadata=True)["vectors"][0]
    assert got["metadata"] == numbers


# -- keys ----------------------------------------------------------------------------------


def test_a_key_of_1024_characters_is_taken_whatever_its_bytes(client, raw_client, index):
    put(client, index, vec("é" * 1024, [1, 2, 3]), vec("k" * 1024, [1, 2, 3]))
    says(
        refused(raw_client, index, "vectors[0].key", vec("é" * 1025, [1, 2, 3])),
        "a key must be 1 to 1024 characters, got 1025 characters",
    )
    says(
        refused(raw_client, index, "vectors[1].key", vec("k", [1, 2, 3]), vec("", [1, 2, 3])),
        "a key must be 1 to 1024 characters, got 0 characters",
    )
    assert sorted(all_keys(client, index)) == sorted(["é" * 1024, "k" * 1024])


@pytest.mark.parametrize(
    ("key", "type_name"),
    [
        (7, "got number"),
        (None, "got null"),
        ([], "got array"),
        ({}, "got object"),
        (True, "got boolean"),
    ],
)
def test_a_key_that_is_not_a_string_is_refused_naming_its_type(raw_client, index, key, type_name):
    says(
        refused(raw_client, index, "vectors[0].key", vec(key, [1, 2, 3])),
        f"a key must be a string, {type_name}",
    )


def test_vectors_that_are_not_a_list_of_objects_are_refused(client, raw_client, index):
    error = expect_validation(lambda: put_raw(raw_client, index, {"key": "a"}), "vectors")
    says(error, "must be a list", "Send a JSON array.")
    error = expect_validation(
        lambda: put_raw(raw_client, index, [vec("a", [1, 2, 3]), "b"]), "vectors[1]"
    )
    says(error, "must be an object {key, data}")
    assert all_keys(client, index) == []


@pytest.mark.parametrize(
    ("count", "hint"),
    [(0, "Send at least 1."), (501, "Send at most 500 per request and split larger batches.")],
)
def test_a_put_count_out_of_range_says_what_to_send(raw_client, index, count, hint):
    vectors = [vec(f"k{i}", [1, 2, 3]) for i in range(count)]
    error = refused(raw_client, index, "vectors", *vectors)
    says(error, f"has {count} items; between 1 and 500 are allowed", hint)


# -- vector data ---------------------------------------------------------------------------

FLOAT32_MAX = 3.4028234663852886e38


def test_the_largest_float32_values_are_taken(client, index):
    put(client, index, vec("max", [FLOAT32_MAX, -FLOAT32_MAX, 1]))
    got = client.get_vectors(**index, keys=["max"], returnData=True)["vectors"][0]
    assert got["data"]["float32"] == [FLOAT32_MAX, -FLOAT32_MAX, 1]
    # A query vector is checked alone (a put checks its vectors together).
    found = client.query_vectors(**index, topK=1, queryVector={"float32": [1, 1, FLOAT32_MAX]})
    assert [v["key"] for v in found["vectors"]] == ["max"]


NOT_FINITE = "NaN and Infinity are not allowed (nor values beyond float32 range)"
NOT_A_NUMBER = "every element must be a number"
ALL_ZERO = "an all-zero vector has no direction under the cosine metric"
HINTS = {
    NOT_FINITE: "Send finite float32 values.",
    NOT_A_NUMBER: "Send {'float32': [number, ...]}.",
    ALL_ZERO: "Send a vector with a non-zero value, or use a euclidean index.",
}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ([3.5e38, 1, 1], NOT_FINITE),
        ([1, -3.5e38, 1], NOT_FINITE),
        ([10**400, 1, 1], NOT_FINITE),
        ([1, 1, 10**39], NOT_FINITE),
        ([1, "NaN", 1], NOT_FINITE),  # AWS's JSON protocol writes NaN and the infinities so
        (["Infinity", 1, 1], NOT_FINITE),
        ([1, 1, "-Infinity"], NOT_FINITE),
        ([1, 2.5, "NaN"], NOT_FINITE),  # integers, floats and a word together
        ([1, "nan", 1], NOT_A_NUMBER),
        ([1, "Inf", 1], NOT_A_NUMBER),
        ([1, [2], 3], NOT_A_NUMBER),
        ([1, "2", 3], NOT_A_NUMBER),
        ([1, None, 3], NOT_A_NUMBER),
        ([1.5, True, 1], NOT_A_NUMBER),
        ([True, False, True], NOT_A_NUMBER),
        ([0, 0, 0], ALL_ZERO),
        ([1e-46, 0, -1e-46], ALL_ZERO),  # zero once stored as float32
    ],
    ids=str,
)
def test_vector_data_that_float32_cannot_hold_is_refused(
    client, raw_client, index, values, problem
):
    good = vec("good", [1, 2, 3])
    error = expect_validation(
        lambda: put_raw(raw_client, index, [good, vec("bad", values)]), "vectors[1].data"
    )
    says(error, problem, HINTS[problem])
    assert all_keys(client, index) == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=str)
def test_nan_and_infinity_from_boto3_are_refused_as_not_finite(client, raw_client, index, value):
    """botocore sends them as the strings "NaN", "Infinity" and "-Infinity"."""
    vectors = [vec("good", [1, 2, 3]), vec("bad", [1, value, 1])]
    error = expect_validation(lambda: put(raw_client, index, *vectors), "vectors[1].data")
    says(error, NOT_FINITE, HINTS[NOT_FINITE])
    error = expect_validation(
        lambda: raw_client.query_vectors(**index, topK=1, queryVector={"float32": [value, 1, 1]}),
        "queryVector",
    )
    says(error, NOT_FINITE, HINTS[NOT_FINITE])
    assert all_keys(client, index) == []


@pytest.mark.parametrize(
    "data", [[1, 2, 3], {"float64": [1, 2, 3]}, {"float32": "1,2,3"}, None], ids=str
)
def test_vector_data_not_given_as_float32_is_refused(raw_client, index, data):
    error = expect_validation(
        lambda: put_raw(raw_client, index, [{"key": "bad", "data": data}]), "vectors[0].data"
    )
    says(error, "vector data must be given as {'float32': [...]}", "Send float32 values only.")


@pytest.mark.parametrize(
    ("values", "problem"),
    [([1, "2", 3], NOT_A_NUMBER), ([1, 2, 10**400], NOT_FINITE), ([0, 0, 0], ALL_ZERO)],
    ids=str,
)
def test_a_query_vector_float32_cannot_hold_is_refused(raw_client, index, values, problem):
    body = {**index, "topK": 1, "queryVector": {"float32": values}}
    with sending(raw_client, "QueryVectors", body):
        error = expect_validation(
            lambda: raw_client.query_vectors(**index, topK=1, queryVector={"float32": [1, 2, 3]}),
            "queryVector",
        )
    says(error, problem, HINTS[problem])


def test_a_vector_of_the_wrong_dimension_says_both_dimensions(raw_client, index):
    says(
        refused(raw_client, index, "vectors[0].data", vec("bad", [1, 2, 3, 4])),
        "vector has dimension 4 but the index has dimension 3",
        "Send vectors with exactly the index's dimension.",
    )


# -- the PutVectors request ----------------------------------------------------------------


def test_a_put_request_of_exactly_20_mib_is_taken_and_one_byte_more_is_refused(
    client, raw_client, make_index
):
    """The body boto3 sends is measured as it leaves; padding in the metadata sets its size."""
    selector = make_index("wide", dimension=1024, metric="euclidean", non_filterable=["body"])
    sent: list[int] = []
    for each in (client, raw_client):
        each.meta.events.register(
            "before-send.s3vectors.PutVectors", lambda request, **_: sent.append(len(request.body))
        )
    values = [0.1234567890123 + i * 1e-9 for i in range(1024)]  # about 19 KB as JSON text

    def request(prefix: str, extra: int) -> list[dict]:
        """500 vectors, `extra` ASCII bytes of padding over those of prefix "a"."""
        each, first = divmod(extra, 500)
        vectors = [
            vec(f"{prefix}{i}", values, {"body": "x" * (20 * KB + each)}) for i in range(500)
        ]
        vectors[0]["metadata"]["body"] += "x" * first
        return vectors

    client.put_vectors(**selector, vectors=request("a", 0))
    room = 20 * MIB - sent[-1]
    assert 0 < room < 500 * 10 * KB  # the padding stays within each vector's 40 KB
    client.put_vectors(**selector, vectors=request("b", room))
    assert sent[-1] == 20 * MIB
    error = expect_validation(
        lambda: raw_client.put_vectors(**selector, vectors=request("c", room + 1)), "vectors"
    )
    assert sent[-1] == 20 * MIB + 1
    says(
        error,
        f"the PutVectors request is {20 * MIB + 1:,} bytes; at most {20 * MIB:,} (20 MiB) are"
        " allowed",
        "Send fewer vectors per request.",
    )
    keys = all_keys(client, selector)
    assert len(keys) == 1000
    assert not any(k.startswith("c") for k in keys)


# -- topK and other integers ---------------------------------------------------------------


@pytest.mark.parametrize("top_k", [True, 1.5, "3"], ids=str)
def test_top_k_must_be_an_integer(raw_client, index, top_k):
    error = expect_validation(
        lambda: raw_client.query_vectors(**index, topK=top_k, queryVector={"float32": [1, 1, 1]}),
        "topK",
    )
    says(
        error,
        f"must be between 1 and 10000, got {top_k}",
        "Results come back in pages of 100 that follow nextToken.",
    )


def test_top_k_from_1_to_10000_is_taken(client, index):
    put(client, index, vec("a", [1, 2, 3]), vec("b", [3, 2, 1]))
    for top_k, expected in ((1, ["a"]), (10_000, ["a", "b"])):
        response = client.query_vectors(**index, topK=top_k, queryVector={"float32": [1, 2, 3]})
        assert [v["key"] for v in response["vectors"]] == expected


@pytest.mark.parametrize(
    ("request_extra", "field", "problem"),
    [
        ({"maxResults": 0}, "maxResults", "must be between 1 and 1000, got 0"),
        (
            {"segmentCount": 2, "segmentIndex": -1},
            "segmentIndex",
            "must be between 0 and 1, got -1",
        ),
        ({"segmentCount": 2, "segmentIndex": 2}, "segmentIndex", "must be between 0 and 1, got 2"),
        (
            {"segmentCount": 17, "segmentIndex": 0},
            "segmentCount",
            "must be between 1 and 16, got 17",
        ),
    ],
    ids=str,
)
def test_list_integers_out_of_range_say_the_range(raw_client, index, request_extra, field, problem):
    error = expect_validation(lambda: raw_client.list_vectors(**index, **request_extra), field)
    says(error, problem)


def test_list_takes_1000_results_and_16_segments(client, index):
    put(client, index, vec("a", [1, 2, 3]))
    assert [v["key"] for v in client.list_vectors(**index, maxResults=1000)["vectors"]] == ["a"]
    keys = [
        v["key"]
        for number in range(16)
        for v in client.list_vectors(**index, segmentCount=16, segmentIndex=number)["vectors"]
    ]
    assert keys == ["a"]


# -- index creation ------------------------------------------------------------------------


CREATE_INDEX = {
    "vectorBucketName": "test-bucket",
    "indexName": "made",
    "dataType": "float32",
    "dimension": 3,
    "distanceMetric": "cosine",
}


def create(client, **changes):
    return client.create_index(**{**CREATE_INDEX, **changes})


def create_raw(client, request):
    """CreateIndex of `request` sent as JSON exactly (botocore cannot serialise a string where
    a structure belongs, nor leave out a required member)."""
    with sending(client, "CreateIndex", request):
        create(client)


def non_filterable(names):
    return {"metadataConfiguration": {"nonFilterableMetadataKeys": names}}


def test_the_largest_index_configuration_is_taken(client, make_index):
    make_index("first")
    names = ["k" * 63] + [f"k{i}" for i in range(9)]
    create(client, dimension=4096, **non_filterable(names))
    index = client.get_index(vectorBucketName="test-bucket", indexName="made")["index"]
    assert index["dimension"] == 4096
    assert index["metadataConfiguration"]["nonFilterableMetadataKeys"] == names
    create(client, indexName="tiny", dimension=1, **non_filterable([]))


NAMES = "metadataConfiguration.nonFilterableMetadataKeys"


@pytest.mark.parametrize(
    ("names", "field", "problem", "hint"),
    [
        (["k" * 64], f"{NAMES}[0]", "a metadata key must be 1 to 63 characters", ""),
        (["a", ""], f"{NAMES}[1]", "a metadata key must be 1 to 63 characters", ""),
        (["a", "b", "a"], NAMES, "contains the same key more than once", "List each key once."),
        (
            [f"k{i}" for i in range(11)],
            NAMES,
            "has 11 items; between 0 and 10 are allowed",
            "Send at most 10 per request and split larger batches.",
        ),
    ],
    ids=str,
)
def test_a_bad_index_configuration_is_refused_where_it_is(
    client, raw_client, make_index, names, field, problem, hint
):
    make_index("first")
    error = expect_validation(lambda: create(raw_client, **non_filterable(names)), field)
    says(error, problem, hint)
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName="test-bucket")["indexes"]]
    assert names == ["first"]


@pytest.mark.parametrize("dimension", [0, 4097])
def test_a_dimension_out_of_range_says_the_range(raw_client, make_index, dimension):
    make_index("first")
    error = expect_validation(lambda: create(raw_client, dimension=dimension), "dimension")
    says(error, f"must be between 1 and 4096, got {dimension}")


# JSON true is Python's True, an int: without its own test, 1 of 1..4096; 3.0 equals 3.
SHAPE_HINT = "Send the request as the S3 Vectors API reference describes it."


def test_null_members_are_taken_as_left_out(client, raw_client, make_index):
    make_index("first")
    create_raw(raw_client, {**CREATE_INDEX, "metadataConfiguration": None, "tags": None})
    assert (
        "metadataConfiguration"
        not in client.get_index(vectorBucketName="test-bucket", indexName="made")["index"]
    )


@pytest.mark.parametrize(
    ("request_changes", "field", "problem"),
    [
        ({"tags": {"team": 7}}, "tags.team", "must be a string, got number"),
        ({"tags": ["team"]}, "tags", "must be an object, got array"),
        ({"vectorBucketName": 12}, "vectorBucketName", "must be a string, got number"),
    ],
    ids=["a tag's value a number", "tags an array", "the bucket name a number"],
)
def test_create_index_members_of_the_wrong_json_types_are_refused_where_they_are(
    client, raw_client, make_index, request_changes, field, problem
):
    make_index("first")
    error = expect_validation(
        lambda: create_raw(raw_client, {**CREATE_INDEX, **request_changes}), field
    )
    says(error, problem, SHAPE_HINT)
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName="test-bucket")["indexes"]]
    assert names == ["first"]


def test_a_boolean_member_takes_only_true_or_false(client, raw_client, index):
    put(client, index, vec("a", [1, 2, 3]))
    request = {**index, "keys": ["a"], "returnData": "yes"}
    with sending(raw_client, "GetVectors", request):
        error = expect_validation(lambda: raw_client.get_vectors(**index, keys=["a"]), "returnData")
    says(error, "must be true or false, got string", SHAPE_HINT)
    with sending(raw_client, "GetVectors", {**request, "returnData": True}):
        found = raw_client.get_vectors(**index, keys=["a"])
    assert found["vectors"][0]["data"] == {"float32": [1.0, 2.0, 3.0]}


def test_an_index_without_a_dimension_is_refused(client, raw_client, make_index):
    make_index("first")
    request = {k: v for k, v in CREATE_INDEX.items() if k != "dimension"}
    error = expect_validation(lambda: create_raw(raw_client, request), "dimension")
    says(error, "must be between 1 and 4096, got None")


@pytest.mark.parametrize(
    ("dimension", "problem"),
    [
        (True, "must be an integer, got boolean"),
        (3.0, "must be an integer, got number"),
        ("3", "must be an integer, got string"),
    ],
    ids=["true", "3.0", "string 3"],
)
def test_a_dimension_that_is_not_an_integer_is_refused(
    client, raw_client, make_index, dimension, problem
):
    make_index("first")
    error = expect_validation(
        lambda: create_raw(raw_client, {**CREATE_INDEX, "dimension": dimension}), "dimension"
    )
    says(error, problem, SHAPE_HINT)
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName="test-bucket")["indexes"]]
    assert names == ["first"]


@pytest.mark.parametrize(
    ("configuration", "field", "problem"),
    [
        ("body", "metadataConfiguration", "must be an object, got string"),
        (["body"], "metadataConfiguration", "must be an object, got array"),
        ({"nonFilterableMetadataKeys": "body"}, NAMES, "must be an array, got string"),
        ({"nonFilterableMetadataKeys": ["a", 7]}, f"{NAMES}[1]", "must be a string, got number"),
    ],
    ids=["string", "array", "keys a string", "a key a number"],
)
def test_a_metadata_configuration_of_the_wrong_json_types_is_refused_where_it_is(
    client, raw_client, make_index, configuration, field, problem
):
    make_index("first")
    error = expect_validation(
        lambda: create_raw(raw_client, {**CREATE_INDEX, "metadataConfiguration": configuration}),
        field,
    )
    says(error, problem, SHAPE_HINT)
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName="test-bucket")["indexes"]]
    assert names == ["first"]
