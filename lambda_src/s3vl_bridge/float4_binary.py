"""A vector in PostgreSQL's binary array form: base64 of array_send for a real[] of one row.

SQL sends put_vectors' rows this way ({"float4_send_base64": "..."}): every float32 arrives
exactly (-0, subnormals, the largest float32), and turning it into floats here is a few C calls
of the standard library (no numpy in the Lambda: it would cost cold start) instead of parsing
about 20 bytes of decimal text per value.

array_send's layout (big-endian int32s): ndim, has-nulls flag, element type OID, then size and
lower bound per dimension, then per element its byte length and its bytes.
"""

from __future__ import annotations

import binascii
import math
import sys
from array import array

from .limits import DIMENSION_MAX

FIELD = "float4_send_base64"
FLOAT4_OID = 700  # pg_type.oid of real (float4)
_FOURS = b"\x04" * DIMENSION_MAX  # the last byte of every element's length
_HINT = (
    "send pg_catalog.encode(pg_catalog.array_send(row), 'base64') of a real[] row, newlines removed"
)


def decode(text: object) -> list[float]:
    """The float32 values of one row, as Python floats; ValueError saying what is wrong (and what
    to send instead) for anything that is not one finite float4 row of 1..DIMENSION_MAX."""
    if not isinstance(text, str):
        raise ValueError(f"{FIELD} must be a string of base64; {_HINT}")
    try:
        # strict: refuses what is not base64 as b64decode(validate=True) does, in C (that one
        # first matches the text with a regular expression). Given bytes, it runs twice as fast
        # as given the str (Python 3.11 and 3.13: 8 against 16 us for a 768-d row); any
        # non-ASCII letter becomes bytes it refuses, a lone surrogate a UnicodeEncodeError.
        raw = binascii.a2b_base64(text.encode(), strict_mode=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            f"{FIELD} is not base64 (standard alphabet, padded, no newlines); {_HINT}"
        ) from None
    count, start = _header(raw)
    body = raw[start:]
    if len(body) != 8 * count:
        raise ValueError(
            f"{FIELD} holds {len(body)} bytes of elements where {count} float4 elements take "
            f"{8 * count} (truncated or extra bytes); {_HINT}"
        )
    # Each element is 8 bytes: its length (00 00 00 04), then the float. Strided slices of the
    # bytes check every length, and find the rows that may hold NaN or an infinity, in C.
    if body[3::8] != _FOURS[:count] or body[0::8] + body[1::8] + body[2::8] != bytes(3 * count):
        lengths = [
            int.from_bytes(body[at : at + 4], "big", signed=True) for at in range(0, len(body), 8)
        ]
        position = next(i for i, n in enumerate(lengths) if n != 4)
        raise ValueError(
            f"{FIELD} element [{position}] has length {lengths[position]}, not 4; "
            f"every element must be one float4; {_HINT}"
        )
    floats = array("f")
    floats.frombytes(body)
    if sys.byteorder == "little":
        floats.byteswap()
    values = floats[1::2].tolist()
    # NaN and the infinities have every exponent bit set, so their first byte is 7f or ff (as has
    # a finite value from about 1.7e38 up). Only such a row is summed: a finite float32 row
    # cannot overflow a float64 sum (4096 x 3.4e38 is far below 1.8e308), so the sum is finite
    # exactly when every value is.
    high = body[4::8]
    if (0x7F in high or 0xFF in high) and not math.isfinite(sum(values)):
        position = next(i for i, v in enumerate(values) if not math.isfinite(v))
        bad = values[position]
        name = "NaN" if math.isnan(bad) else "Infinity" if bad > 0 else "-Infinity"
        raise ValueError(f"element [{position}] is {name}; every element must be a finite number")
    return values


def _header(raw: bytes) -> tuple[int, int]:
    """(element count, offset of the first element) of a 1-D row or a 2-D slice of one row."""
    if len(raw) < 12:
        raise ValueError(
            f"{FIELD} holds {len(raw)} bytes, shorter than an array header (truncated); {_HINT}"
        )
    ndim, has_nulls, oid = _ints(raw, 0, 3)
    if oid != FLOAT4_OID:
        raise ValueError(
            f"{FIELD} has element type OID {oid}, not {FLOAT4_OID} (real, float4); "
            f"cast the row to real[] first; {_HINT}"
        )
    if has_nulls != 0:
        raise ValueError(f"{FIELD} has NULL elements; every element must be a finite number")
    if ndim not in (1, 2):
        raise ValueError(
            f"{FIELD} has {ndim} dimensions; send one row: a 1-D real[], or a 2-D slice "
            f"vectors[r:r] of one row; {_HINT}"
        )
    start = 12 + 8 * ndim
    if len(raw) < start:
        raise ValueError(
            f"{FIELD} holds {len(raw)} bytes, shorter than its array header (truncated); {_HINT}"
        )
    sizes = _ints(raw, 12, ndim, step=2)
    if ndim == 2 and sizes[0] != 1:
        raise ValueError(
            f"{FIELD} has {sizes[0]} rows; send one row per vector (vectors[r:r]); {_HINT}"
        )
    count = sizes[-1]
    if not 1 <= count <= DIMENSION_MAX:
        raise ValueError(
            f"{FIELD} has {count} elements; a vector has 1 to {DIMENSION_MAX} (S3 Vectors' "
            "largest dimension)"
        )
    return count, start


def _ints(raw: bytes, offset: int, count: int, step: int = 1) -> list[int]:
    """count big-endian int32s from offset, every step-th one."""
    return [
        int.from_bytes(raw[at : at + 4], "big", signed=True)
        for at in range(offset, offset + 4 * step * count, 4 * step)
    ]
