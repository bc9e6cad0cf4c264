"""put_vectors' binary vector form, {"float32_be_base64": base64 of the vector's float32 values,
4 bytes each, big-endian}: written bit for bit, and every malformed value refused naming
vectors[i].data and saying what to send, through the real handler, before anything is written."""

from __future__ import annotations

import base64
import struct

import pytest

from tests.support.bridge import DOCS, DOCS_ARN, PLACES_ARN, ok, refused

FLT_MAX = struct.unpack(">f", bytes.fromhex("7f7fffff"))[0]
SMALLEST_SUBNORMAL = struct.unpack(">f", bytes.fromhex("00000001"))[0]  # 1e-45 as float4 prints
LARGEST_SUBNORMAL = struct.unpack(">f", bytes.fromhex("007fffff"))[0]
HINT = (
    "send base64 of the vector's float32 values, 4 bytes each, big-endian "
    "(PostgreSQL: float4send of each element, concatenated)"
)
NOT_BASE64 = f"float32_be_base64 is not base64 (standard alphabet, padded, no newlines); {HINT}"


def float32_be(values: list[float]) -> bytes:
    """The form's bytes, written here from its definition (not by the bridge's decoder): each
    value as float4send writes it, 4 bytes big-endian, concatenated."""
    return b"".join(struct.pack(">f", v) for v in values)


def binary(raw: bytes) -> dict[str, str]:
    return {"float32_be_base64": base64.b64encode(raw).decode()}


def put(invoke, index_arn: str, vectors: list[dict]) -> dict:
    return invoke({"operation": "put_vectors", "index_arn": index_arn, "vectors": vectors})


def float32_bits(values: list[float]) -> list[str]:
    return [struct.pack(">f", v).hex() for v in values]


def test_binary_rows_are_written_bit_for_bit_beside_the_reference_shapes(invoke, s3v):
    edge = [-0.0, FLT_MAX, -FLT_MAX, SMALLEST_SUBNORMAL]
    subnormals = [LARGEST_SUBNORMAL, -SMALLEST_SUBNORMAL, 1.0, -1.0]
    tenth = [0.1, -0.2, 0.3, 1.0]  # not exact decimals: float32's nearest values
    vectors = [
        {"key": "edge", "data": binary(float32_be(edge)), "metadata": {"form": "edge"}},
        {"key": "tenth", "data": binary(float32_be(tenth))},
        {"key": "list", "data": [0.5, 0.5, 0.0, 0.1]},
        {"key": "file", "data": {"float32": [0.0, 1.0, 0.0, 0.2]}},
        {"key": "subnormals", "data": binary(float32_be(subnormals))},
    ]
    result = ok(put(invoke, DOCS_ARN, vectors))
    assert result == {
        "written_count": 5,
        "written_keys": ["edge", "tenth", "list", "file", "subnormals"],
        "chunk_count": 1,
    }
    got = s3v.aws.get_vectors(
        indexArn=DOCS_ARN,
        keys=["edge", "tenth", "subnormals"],
        returnData=True,
        returnMetadata=True,
    )["vectors"]
    by_key = {v["key"]: v for v in got}
    assert float32_bits(by_key["edge"]["data"]["float32"]) == [
        "80000000",
        "7f7fffff",
        "ff7fffff",
        "00000001",
    ]
    assert by_key["edge"]["metadata"] == {"form": "edge"}
    assert float32_bits(by_key["tenth"]["data"]["float32"]) == [
        "3dcccccd",
        "be4ccccd",
        "3e99999a",
        "3f800000",
    ]
    assert float32_bits(by_key["subnormals"]["data"]["float32"]) == [
        "007fffff",
        "80000001",
        "3f800000",
        "bf800000",
    ]


def _malformed() -> list[tuple[str, object, str]]:
    raw = float32_be([1.0, 2.0, 3.0, 4.0])
    nan_etc = [
        ("NaN", [1.0, float("nan"), 3.0, 4.0], "element [1] is NaN"),
        ("Infinity", [1.0, 2.0, float("inf"), 4.0], "element [2] is Infinity"),
        ("-Infinity", [1.0, 2.0, 3.0, float("-inf")], "element [3] is -Infinity"),
        (
            "-Infinity after Infinity",
            [float("-inf"), float("inf"), 3.0, 4.0],
            "element [0] is -Infinity",
        ),
        (
            "NaN beside the largest float32",
            [FLT_MAX, -FLT_MAX, float("nan"), 1.0],
            "element [2] is NaN",
        ),
    ]
    return [
        ("not a string", 1234, f"float32_be_base64 must be a string of base64; {HINT}"),
        (
            "a list of numbers in the field",
            [1.0, 2.0, 3.0, 4.0],
            f"float32_be_base64 must be a string of base64; {HINT}",
        ),
        ("not base64", "AAAA*AAA", NOT_BASE64),
        ("non-ASCII letters", "AAAA\u00e9AAA", NOT_BASE64),
        ("a lone surrogate", "AAAA\ud800AAA", NOT_BASE64),
        # 0.3's bytes encode to "-mZma" in the URL-safe alphabet, "+mZma" in the standard one
        (
            "the URL-safe alphabet",
            base64.urlsafe_b64encode(float32_be([0.1, -0.2, 0.3, 1.0])).decode(),
            NOT_BASE64,
        ),
        ("padding left out", base64.b64encode(raw).decode().rstrip("="), NOT_BASE64),
        ("base64 with encode's newlines", base64.encodebytes(raw).decode(), NOT_BASE64),
        (
            "15 bytes",
            base64.b64encode(raw[:15]).decode(),
            "float32_be_base64 holds 15 bytes, not a multiple of 4 (a float32 takes 4): "
            f"truncated or extra bytes; {HINT}",
        ),
        (
            "17 bytes",
            base64.b64encode(raw + b"\0").decode(),
            "float32_be_base64 holds 17 bytes, not a multiple of 4 (a float32 takes 4): "
            f"truncated or extra bytes; {HINT}",
        ),
        (
            "an empty string",
            "",
            "float32_be_base64 holds 0 values; a vector has 1 to 4096 (S3 Vectors' "
            "largest dimension)",
        ),
        (
            "over the largest dimension",
            base64.b64encode(float32_be([1.0] * 4097)).decode(),
            "float32_be_base64 holds 4097 values; a vector has 1 to 4096 (S3 Vectors' "
            "largest dimension)",
        ),
        *(
            (
                name,
                base64.b64encode(float32_be(values)).decode(),
                f"{what}; every element must be a finite number",
            )
            for name, values, what in nan_etc
        ),
        (
            "a NaN with its sign bit set",
            base64.b64encode(raw[:12] + bytes.fromhex("ffc00001")).decode(),
            "element [3] is NaN; every element must be a finite number",
        ),
        (
            "a NaN whose first byte is 7f",
            base64.b64encode(raw[:4] + bytes.fromhex("7f800001") + raw[8:]).decode(),
            "element [1] is NaN; every element must be a finite number",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [pytest.param(text, message, id=name) for name, text, message in _malformed()],
)
def test_a_malformed_binary_row_is_refused_naming_it_before_anything_is_written(
    invoke, s3v, text, message
):
    vectors = [{"key": f"b{i}", "data": binary(float32_be([1.0, 0.5, 0.25, i]))} for i in range(3)]
    vectors[1]["data"] = {"float32_be_base64": text}
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["type"] == "ValidationError"
    assert error["field"] == "vectors[1].data"
    assert error["message"] == f"vectors[1].data: {message}"
    assert s3v.sent == []


def test_a_binary_row_of_another_dimension_than_the_first_is_refused(invoke, s3v):
    vectors = [
        {"key": "a", "data": [1.0, 2.0, 3.0, 4.0]},
        {"key": "b", "data": binary(float32_be([1.0, 2.0, 3.0]))},
    ]
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1].data"
    assert error["message"] == (
        "has 3 values but vectors[0] has 4; every vector of one request must have the "
        "index's dimension"
    )
    assert s3v.sent == []


def test_binary_rows_of_another_dimension_than_the_index_are_refused(invoke, s3v):
    vectors = [{"key": "a", "data": binary(float32_be([1.0, 2.0, 3.0, 4.0]))}]
    error = refused(put(invoke, PLACES_ARN, vectors))
    assert error["field"] == "vectors[0].data"
    assert error["message"] == "vectors have 4 values but the index has dimension 3"
    assert s3v.sent == ["GetIndex"]


def test_an_all_zero_binary_row_negative_zeros_too_is_refused_for_a_cosine_index(invoke, s3v):
    vectors = [
        {"key": "a", "data": binary(float32_be([1.0, 2.0, 3.0, 4.0]))},
        {"key": "b", "data": binary(float32_be([0.0, -0.0, 0.0, -0.0]))},
    ]
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1].data"
    assert error["message"] == "is all zeros, which has no direction for a cosine index"
    assert s3v.sent == ["GetIndex"]


def test_a_bad_binary_row_in_the_third_chunk_writes_nothing(invoke, s3v):
    vectors = [
        {"key": f"k{i:04d}", "data": binary(float32_be([1.0, 0.001 * i, 0.5, -0.25]))}
        for i in range(1201)
    ]
    vectors[1100]["data"] = binary(float32_be([1.0, float("nan"), 0.5, -0.25]))
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1100].data"
    assert s3v.sent == []
    assert s3v.stored_keys(DOCS_ARN) == sorted(d["key"] for d in DOCS)


@pytest.mark.parametrize("count", [1, 2, 4096])
def test_rows_of_one_to_the_largest_dimension_decode_to_their_values(count):
    from s3vl_bridge.float32_binary import decode

    values = [0.25 * (i % 7) - 0.5 for i in range(count)]
    assert decode(base64.b64encode(float32_be(values)).decode()) == values
