"""put_vectors' binary vector form, {"float4_send_base64": base64 of PostgreSQL's array_send of a
real[] row}: written bit for bit, and every malformed value refused naming vectors[i].data and
saying what to send, through the real handler, before anything is written."""

from __future__ import annotations

import base64
import struct

import pytest

from tests.support.bridge import DOCS, DOCS_ARN, PLACES_ARN, ok, refused

FLT_MAX = struct.unpack(">f", bytes.fromhex("7f7fffff"))[0]
SMALLEST_SUBNORMAL = struct.unpack(">f", bytes.fromhex("00000001"))[0]  # 1e-45 as float4 prints
HINT = (
    "send pg_catalog.encode(pg_catalog.array_send(row), 'base64') of a real[] row, newlines removed"
)


def array_send(
    values: list[float],
    *,
    dims: tuple[tuple[int, int], ...] | None = None,
    has_nulls: int = 0,
    oid: int = 700,
    length: int = 4,
) -> bytes:
    """array_send's bytes for a float4 array, written here from PostgreSQL's layout (not by
    the bridge's decoder): ndim, flags, element OID, (size, lower bound) per dimension, then
    (length, big-endian float4) per element."""
    dims = dims if dims is not None else ((len(values), 1),)
    out = struct.pack(">iii", len(dims), has_nulls, oid)
    for size, lower in dims:
        out += struct.pack(">ii", size, lower)
    for value in values:
        out += struct.pack(">i", length) + struct.pack(">f", value) + b"\0" * (length - 4)
    return out


def binary(raw: bytes) -> dict[str, str]:
    return {"float4_send_base64": base64.b64encode(raw).decode()}


def put(invoke, index_arn: str, vectors: list[dict]) -> dict:
    return invoke({"operation": "put_vectors", "index_arn": index_arn, "vectors": vectors})


def float32_bits(values: list[float]) -> list[str]:
    return [struct.pack(">f", v).hex() for v in values]


def test_binary_rows_are_written_bit_for_bit_beside_the_reference_shapes(invoke, s3v):
    edge = [-0.0, FLT_MAX, -FLT_MAX, SMALLEST_SUBNORMAL]
    tenth = [0.1, -0.2, 0.3, 1.0]  # not exact decimals: float32's nearest values
    vectors = [
        {"key": "edge", "data": binary(array_send(edge)), "metadata": {"form": "1-d"}},
        # a 2-D slice vectors[3:3] as SQL sends it: one row, its lower bound kept
        {"key": "slice", "data": binary(array_send(tenth, dims=((1, 3), (4, 1))))},
        {"key": "list", "data": [0.5, 0.5, 0.0, 0.1]},
        {"key": "file", "data": {"float32": [0.0, 1.0, 0.0, 0.2]}},
    ]
    result = ok(put(invoke, DOCS_ARN, vectors))
    assert result == {
        "written_count": 4,
        "written_keys": ["edge", "slice", "list", "file"],
        "chunk_count": 1,
    }
    got = s3v.aws.get_vectors(
        indexArn=DOCS_ARN, keys=["edge", "slice"], returnData=True, returnMetadata=True
    )["vectors"]
    by_key = {v["key"]: v for v in got}
    assert float32_bits(by_key["edge"]["data"]["float32"]) == [
        "80000000",
        "7f7fffff",
        "ff7fffff",
        "00000001",
    ]
    assert by_key["edge"]["metadata"] == {"form": "1-d"}
    assert float32_bits(by_key["slice"]["data"]["float32"]) == float32_bits(tenth)


def _malformed() -> list[tuple[str, object, str]]:
    four = [1.0, 2.0, 3.0, 4.0]
    raw = array_send(four)
    return [
        ("not a string", 1234, f"float4_send_base64 must be a string of base64; {HINT}"),
        (
            "not base64",
            "AAAA*AAA",
            f"float4_send_base64 is not base64 (standard alphabet, padded, no newlines); {HINT}",
        ),
        (
            "non-ASCII letters",
            "AAAA\u00e9AAA",
            f"float4_send_base64 is not base64 (standard alphabet, padded, no newlines); {HINT}",
        ),
        (
            "a lone surrogate",
            "AAAA\ud800AAA",
            f"float4_send_base64 is not base64 (standard alphabet, padded, no newlines); {HINT}",
        ),
        (
            "base64 with encode's newlines",
            base64.encodebytes(raw).decode(),
            f"float4_send_base64 is not base64 (standard alphabet, padded, no newlines); {HINT}",
        ),
        (
            "shorter than a header",
            base64.b64encode(raw[:10]).decode(),
            f"float4_send_base64 holds 10 bytes, shorter than an array header (truncated); {HINT}",
        ),
        (
            "header cut in its dimensions",
            base64.b64encode(raw[:16]).decode(),
            "float4_send_base64 holds 16 bytes, shorter than its array header (truncated); " + HINT,
        ),
        (
            "float8, not float4",
            base64.b64encode(array_send(four, oid=701)).decode(),
            "float4_send_base64 has element type OID 701, not 700 (real, float4); cast the row "
            f"to real[] first; {HINT}",
        ),
        (
            "NULL elements",
            base64.b64encode(array_send(four, has_nulls=1)).decode(),
            "float4_send_base64 has NULL elements; every element must be a finite number",
        ),
        (
            "three dimensions",
            base64.b64encode(array_send(four, dims=((1, 1), (1, 1), (4, 1)))).decode(),
            "float4_send_base64 has 3 dimensions; send one row: a 1-D real[], or a 2-D slice "
            f"vectors[r:r] of one row; {HINT}",
        ),
        (
            "an empty array",
            base64.b64encode(array_send([], dims=())).decode(),
            "float4_send_base64 has 0 dimensions; send one row: a 1-D real[], or a 2-D slice "
            f"vectors[r:r] of one row; {HINT}",
        ),
        (
            "two rows",
            base64.b64encode(array_send(four, dims=((2, 1), (2, 1)))).decode(),
            f"float4_send_base64 has 2 rows; send one row per vector (vectors[r:r]); {HINT}",
        ),
        (
            "two rows of four",
            base64.b64encode(array_send(four, dims=((2, 1), (4, 1)))).decode(),
            f"float4_send_base64 has 2 rows; send one row per vector (vectors[r:r]); {HINT}",
        ),
        (
            "a negative size",
            base64.b64encode(array_send(four, dims=((-1, 1),))).decode(),
            "float4_send_base64 has -1 elements; a vector has 1 to 4096 (S3 Vectors' "
            "largest dimension)",
        ),
        (
            "a header of one dimension of size 0 and nothing after it",
            base64.b64encode(array_send([], dims=((0, 1),))).decode(),
            "float4_send_base64 has 0 elements; a vector has 1 to 4096 (S3 Vectors' "
            "largest dimension)",
        ),
        (
            "a NULL's length",
            base64.b64encode(raw[:28] + struct.pack(">i", -1) + raw[32:]).decode(),
            "float4_send_base64 element [1] has length -1, not 4; every element must be one "
            f"float4; {HINT}",
        ),
        (
            "an element length with its second byte set",
            base64.b64encode(raw[:36] + struct.pack(">i", 0x00010004) + raw[40:]).decode(),
            "float4_send_base64 element [2] has length 65540, not 4; every element must be "
            f"one float4; {HINT}",
        ),
        (
            "an element length with its third byte set",
            base64.b64encode(raw[:36] + struct.pack(">i", 0x00000104) + raw[40:]).decode(),
            "float4_send_base64 element [2] has length 260, not 4; every element must be "
            f"one float4; {HINT}",
        ),
        (
            "element length 8",
            base64.b64encode(array_send(four, length=8)).decode(),
            "float4_send_base64 holds 48 bytes of elements where 4 float4 elements take 32 "
            f"(truncated or extra bytes); {HINT}",
        ),
        (
            "one element of length 8 within the right size",
            base64.b64encode(raw[:20] + struct.pack(">i", 8) + raw[24:]).decode(),
            "float4_send_base64 element [0] has length 8, not 4; every element must be one "
            f"float4; {HINT}",
        ),
        (
            "an element length whose last byte is 4",
            base64.b64encode(raw[:36] + struct.pack(">i", 0x01000004) + raw[40:]).decode(),
            "float4_send_base64 element [2] has length 16777220, not 4; every element must be "
            f"one float4; {HINT}",
        ),
        (
            "truncated",
            base64.b64encode(raw[:-4]).decode(),
            "float4_send_base64 holds 28 bytes of elements where 4 float4 elements take 32 "
            f"(truncated or extra bytes); {HINT}",
        ),
        (
            "extra bytes",
            base64.b64encode(raw + b"\0").decode(),
            "float4_send_base64 holds 33 bytes of elements where 4 float4 elements take 32 "
            f"(truncated or extra bytes); {HINT}",
        ),
        (
            "NaN",
            base64.b64encode(array_send([1.0, float("nan"), 3.0, 4.0])).decode(),
            "element [1] is NaN; every element must be a finite number",
        ),
        (
            "Infinity",
            base64.b64encode(array_send([1.0, 2.0, float("inf"), 4.0])).decode(),
            "element [2] is Infinity; every element must be a finite number",
        ),
        (
            "-Infinity",
            base64.b64encode(array_send([1.0, 2.0, 3.0, float("-inf")])).decode(),
            "element [3] is -Infinity; every element must be a finite number",
        ),
        (
            "a NaN with its sign bit set",
            base64.b64encode(raw[:48] + bytes.fromhex("ffc00001")).decode(),
            "element [3] is NaN; every element must be a finite number",
        ),
        (
            "-Infinity after Infinity",
            base64.b64encode(array_send([float("-inf"), float("inf"), 3.0, 4.0])).decode(),
            "element [0] is -Infinity; every element must be a finite number",
        ),
        (
            "over the largest dimension",
            base64.b64encode(array_send([1.0] * 4097)).decode(),
            "float4_send_base64 has 4097 elements; a vector has 1 to 4096 (S3 Vectors' "
            "largest dimension)",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [pytest.param(text, message, id=name) for name, text, message in _malformed()],
)
def test_a_malformed_binary_row_is_refused_naming_it_before_anything_is_written(
    invoke, s3v, text, message
):
    vectors = [{"key": f"b{i}", "data": binary(array_send([1.0, 0.5, 0.25, i]))} for i in range(3)]
    vectors[1]["data"] = {"float4_send_base64": text}
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["type"] == "ValidationError"
    assert error["field"] == "vectors[1].data"
    assert error["message"] == f"vectors[1].data: {message}"
    assert s3v.sent == []


def test_a_binary_row_of_another_dimension_than_the_first_is_refused(invoke, s3v):
    vectors = [
        {"key": "a", "data": [1.0, 2.0, 3.0, 4.0]},
        {"key": "b", "data": binary(array_send([1.0, 2.0, 3.0]))},
    ]
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1].data"
    assert error["message"] == (
        "has 3 values but vectors[0] has 4; every vector of one request must have the "
        "index's dimension"
    )
    assert s3v.sent == []


def test_binary_rows_of_another_dimension_than_the_index_are_refused(invoke, s3v):
    vectors = [{"key": "a", "data": binary(array_send([1.0, 2.0, 3.0, 4.0]))}]
    error = refused(put(invoke, PLACES_ARN, vectors))
    assert error["field"] == "vectors[0].data"
    assert error["message"] == "vectors have 4 values but the index has dimension 3"
    assert s3v.sent == ["GetIndex"]


def test_an_all_zero_binary_row_negative_zeros_too_is_refused_for_a_cosine_index(invoke, s3v):
    vectors = [
        {"key": "a", "data": binary(array_send([1.0, 2.0, 3.0, 4.0]))},
        {"key": "b", "data": binary(array_send([0.0, -0.0, 0.0, -0.0]))},
    ]
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1].data"
    assert error["message"] == "is all zeros, which has no direction for a cosine index"
    assert s3v.sent == ["GetIndex"]


def test_a_bad_binary_row_in_the_third_chunk_writes_nothing(invoke, s3v):
    vectors = [
        {"key": f"k{i:04d}", "data": binary(array_send([1.0, 0.001 * i, 0.5, -0.25]))}
        for i in range(1201)
    ]
    vectors[1100]["data"] = binary(array_send([1.0, float("nan"), 0.5, -0.25]))
    error = refused(put(invoke, DOCS_ARN, vectors))
    assert error["field"] == "vectors[1100].data"
    assert s3v.sent == []
    assert s3v.stored_keys(DOCS_ARN) == sorted(d["key"] for d in DOCS)


@pytest.mark.parametrize("count", [1, 2, 4096])
def test_rows_of_one_to_the_largest_dimension_decode_to_their_values(count):
    from s3vl_bridge.float4_binary import decode

    values = [0.25 * (i % 7) - 0.5 for i in range(count)]
    assert decode(base64.b64encode(array_send(values)).decode()) == values
