"""A PutVectors' vector data is checked as one matrix (checks.vectors_data): every valid request
must come out as that matrix, exactly the float32 values sent, and any request with a vector
the checks refuse must not, so that the per-vector checks name it (test_limit_edges.py shows
the errors over the wire)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from devstack.s3vectors.checks import vectors_data

FLOAT32_MAX = 3.4028234663852886e38


def request(*rows):
    return [{"key": f"k{i}", "data": {"float32": list(row)}} for i, row in enumerate(rows)]


VALID = [
    ("floats", [[0.5, -1.25, 3.0], [1e-3, 2e-3, 3e-3]], "cosine"),
    ("integers", [[1, 2, 3], [-4, 0, 6]], "cosine"),
    ("mixed", [[1, 2.5, -3], [0.0, 7, 1e30]], "cosine"),
    ("float32 bounds", [[FLOAT32_MAX, -FLOAT32_MAX, 0.0]], "cosine"),
    ("one vector", [[1, 0, 0]], "cosine"),
    ("zero under euclidean", [[0, 0, 0], [0.0, -0.0, 0]], "euclidean"),
]


@pytest.mark.parametrize(("rows", "metric"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_a_valid_request_comes_out_as_its_float32_matrix(rows, metric):
    matrix = vectors_data(request(*rows), 3, metric)
    assert matrix is not None
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, np.array(rows, dtype=np.float32))


def test_five_hundred_vectors_of_4096_come_out_whole():
    rng = np.random.default_rng(14)
    rows = rng.standard_normal((500, 4096)).astype(np.float32)
    matrix = vectors_data(request(*rows.tolist()), 4096, "cosine")
    assert matrix is not None
    np.testing.assert_array_equal(matrix, rows)


GOOD = {"key": "good", "data": {"float32": [1, 2, 3]}}
BAD = [
    ("a short vector", {"float32": [1, 2]}),
    ("a long vector", {"float32": [1, 2, 3, 4]}),
    ("no float32", {"float64": [1, 2, 3]}),
    ("not an object", [1, 2, 3]),
    ("values not a list", {"float32": "1,2,3"}),
    ("a string value", {"float32": [1, "2", 3]}),
    ("a boolean value", {"float32": [1, True, 3]}),
    ("a null value", {"float32": [1, None, 3]}),
    ("a nested list", {"float32": [1, [2], 3]}),
    ("NaN", {"float32": [1, math.nan, 3]}),
    ("NaN as AWS writes it", {"float32": [1, "NaN", 3]}),
    ("infinity", {"float32": [math.inf, 2, 3]}),
    ("-Infinity as AWS writes it", {"float32": [1, 2, "-Infinity"]}),
    ("beyond float32", {"float32": [1, 3.5e38, 3]}),
    ("below -float32", {"float32": [1, -3.5e38, 3]}),
    ("an integer beyond float64", {"float32": [1, 10**400, 3]}),
    ("all zero under cosine", {"float32": [0, 0, 0]}),
    ("zero once float32", {"float32": [1e-46, 0, -1e-46]}),
]


@pytest.mark.parametrize("data", [c[1] for c in BAD], ids=[c[0] for c in BAD])
@pytest.mark.parametrize("position", [0, 1])
def test_a_request_with_one_vector_the_checks_refuse_is_left_to_them(data, position):
    vectors = [GOOD, GOOD]
    vectors[position] = {"key": "bad", "data": data}
    assert vectors_data(vectors, 3, "cosine") is None


@pytest.mark.parametrize("vector", [{"key": "a"}, "a", None, {"key": "a", "data": None}], ids=str)
def test_a_vector_without_data_is_left_to_the_checks(vector):
    assert vectors_data([GOOD, vector], 3, "cosine") is None
