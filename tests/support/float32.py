"""float32 values at the edges, for the tests that check a vector is stored exactly as given."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Written as PostgreSQL's real prints them (the shortest text that reads back as the same
# float32): the largest finite, the smallest normal and subnormal, a negative zero, exponents
# JSON spells 1e+38, and values with all nine digits; 6e-45 is the float32 whose bits, 00000004,
# are also the length array_send writes before each element (s3vl._vector_data takes those out).
# Rows of four, the dimension of `items`.
EXTREME_FLOAT32 = (
    ("3.4028235e+38", "-3.4028235e+38", "1.1754944e-38", "1e-45"),
    ("-1e-45", "-0", "1e+38", "0.1"),
    ("0.33333334", "16777216", "-2.5e-08", "123456.79"),
    ("6e-45", "-6e-45", "-0", "6e-45"),
)
# For the paths that go through jsonb (put_vectors' jsonb form, index views, sync): there the
# largest float32, as real prints it, is a decimal above its own value and so outside the
# float32 range the checks hold JSON numbers to (s3vl, the bridge and the local service alike);
# the next float32 down stands in for it.
EXTREME_FLOAT32_VIA_JSONB = (
    ("3.4028233e+38", "-3.4028233e+38", "1.1754944e-38", "1e-45"),
    *EXTREME_FLOAT32[1:],
)


def as_numeric(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """The rows as JSON carries them to S3 Vectors: -0 comes out of jsonb (numeric) and out of
    the Lambda runtime's json.loads (an integer) as 0."""
    return [["0" if value == "-0" else value for value in row] for row in rows]


def float32_bits(rows: object) -> list[list[int]]:
    """The bits of each value as float32: equal only if every value, and its sign, is."""
    return np.array(rows, dtype=np.float64).astype(np.float32).view(np.uint32).tolist()


def real_row(row: Sequence[str]) -> str:
    """A PostgreSQL array literal of one row (text values), for ::real[]."""
    return "{" + ",".join(row) + "}"


def real_array(rows: Sequence[Sequence[str]]) -> str:
    """A two-dimensional PostgreSQL array literal of the rows, for ::real[]."""
    return "{" + ",".join(map(real_row, rows)) + "}"
