"""Bad input to the write functions is refused before anything is written, even when the bad
item comes after several batches' worth of good ones; each error names the argument."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow

GOOD = [1.0, 2.0, 3.0, 4.0]
MANY = 3000  # two whole batches (s3vl._limit('put_batch')) of good items before the bad one


def arrays(keys, rows, metadata=None):  # type: ignore[no-untyped-def]
    if metadata is not None:
        metadata = [None if m is None else Jsonb(m) for m in metadata]
    sql = "SELECT s3vl.put_vectors('items', %s::text[], %s::real[], %s::jsonb[])"
    return sql, (keys, rows, metadata)


def many_then(last_key, last_row, last_meta=None):  # type: ignore[no-untyped-def]
    keys = [f"g{i}" for i in range(MANY)] + [last_key]
    rows = [list(GOOD) for _ in range(MANY)] + [last_row]
    metadata = [{"ok": True}] * MANY + [last_meta]
    return arrays(keys, rows, metadata)


def many_jsonb_then(last_data):  # type: ignore[no-untyped-def]
    vectors = [{"key": f"g{i}", "data": GOOD} for i in range(MANY)]
    return "SELECT s3vl.put_vectors('items', %s)", (
        Jsonb([*vectors, {"key": "x", "data": last_data}]),
    )


CASES = {
    "array lengths differ": (arrays(["a", "b"], [GOOD]), "vectors", "has 1 rows but keys has 2"),
    "metadata length differs": (
        arrays(["a"], [GOOD], [{"x": 1}, {"y": 2}]),
        "metadata",
        "has 2 elements but keys has 1",
    ),
    "null key": (many_then(None, GOOD), f"keys[{MANY + 1}]", "is NULL"),
    "empty key": (many_then("", GOOD), f"keys[{MANY + 1}]", "1 to 1024"),
    "duplicate key": (many_then("g7", GOOD), f"keys[{MANY + 1}]", "repeats key 'g7'"),
    "wrong dimension": (
        arrays(["a", "b"], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]),
        "vectors[1]",
        "has 3 elements but index items has dimension 4",
    ),
    "longer than the dimension": (
        many_jsonb_then([*GOOD, 5.0]),
        f"vectors[{MANY}].data",
        "has 5 elements but index items has dimension 4",
    ),
    "NaN": (many_then("nan", [1.0, float("nan"), 3.0, 4.0]), f"vectors[{MANY + 1}]", "NaN"),
    "all zeros on cosine": (
        many_then("zero", [0.0, 0.0, 0.0, 0.0]),
        f"vectors[{MANY + 1}]",
        "all zeros",
    ),
    "metadata too large": (
        many_then("big", GOOD, {"text": "x" * 41_000}),
        f"metadata[{MANY + 1}]",
        "40960",
    ),
    "too many metadata keys": (
        many_then("keys", GOOD, {f"k{i}": i for i in range(51)}),
        f"metadata[{MANY + 1}]",
        "51 keys",
    ),
    "filterable metadata over 2 KB": (
        many_then("filterable", GOOD, {"text": "x" * 3000}),
        f"metadata[{MANY + 1}]",
        "filterable",
    ),
    "nested metadata": (
        many_then("nested", GOOD, {"a": {"b": 1}}),
        f"metadata[{MANY + 1}]",
        "an object",
    ),
    "metadata not an object": (
        many_then("list", GOOD, [1, 2]),
        f"metadata[{MANY + 1}]",
        "JSON object",
    ),
    "one-dimensional vectors": (
        ("SELECT s3vl.put_vectors('items', ARRAY['a'], ARRAY[1, 2, 3, 4]::real[])", None),
        "vectors",
        "two-dimensional",
    ),
    "unknown index": (
        ("SELECT s3vl.put_vectors('nope', ARRAY['a'], ARRAY[[1, 2, 3, 4]]::real[])", None),
        "nope",
        "not registered",
    ),
    "jsonb item with an unknown field": (
        (
            "SELECT s3vl.put_vectors('items', %s)",
            (Jsonb([{"key": "a", "data": GOOD}, {"key": "b", "data": GOOD, "meta": {}}]),),
        ),
        "vectors[1]",
        "unknown field",
    ),
    "jsonb item with string numbers": (
        ("SELECT s3vl.put_vectors('items', %s)", (Jsonb([{"key": "a", "data": ["1", 2, 3, 4]}]),)),
        "vectors[0].data",
        "non-numeric",
    ),
    # After two batches' worth of good items: the bridge would refuse the bad one too, but
    # only once the batches before it were written.
    "jsonb value over the float32 range": (
        many_jsonb_then([1e39, 2, 3, 4]),
        f"vectors[{MANY}].data",
        "float32",
    ),
    "jsonb value under the float32 range": (
        many_jsonb_then([1, -1e39, 3, 4]),
        f"vectors[{MANY}].data",
        "float32",
    ),
    "delete with a null key": (
        ("SELECT s3vl.delete_vectors('items', ARRAY['a', NULL])", None),
        "keys[2]",
        "is NULL",
    ),
    "delete with no keys": (
        ("SELECT s3vl.delete_vectors('items', ARRAY[]::text[])", None),
        "keys",
        "non-empty",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_refused_before_any_write(
    db: psycopg.Connection, path: LocalPath, spy: SpyOnWrites, case: str
) -> None:
    (sql, params), argument, problem = CASES[case]
    path.put("items", [{"key": "keep", "data": {"float32": GOOD}}])
    planted = len(spy.puts)
    with pytest.raises(psycopg.Error) as refused:
        db.execute(sql, params)
    error = refused.value
    assert error.sqlstate in ("22023", "42704"), error
    assert argument in str(error) and problem in str(error), str(error)
    assert error.diag.message_hint and error.diag.message_detail
    assert spy.puts[planted:] == [] and spy.deletes == []
    assert path.key_set() == {"keep"}
