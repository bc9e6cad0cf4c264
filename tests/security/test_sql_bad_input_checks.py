"""Issue 9, section 6 (SQL side): bad input that used to get through is refused in SQL, through
real roles on the real local path, before anything is invoked or written.

- metadata_filter nested deeper than 32 (JSON containers on the longest path, the filter itself
  being 1), as $and chains or plain objects up to 1,000 deep; depth 32 still goes out;
- metadata numbers beyond float64 (jsonb keeps 1e400 as a 401-digit number), even as the
  501st vector of a put, so not even the first batch of 500 is written;
- query_vectors_batch arrays with lower bounds other than 1, numbered from 1 in the order given,
  with every row checked before the invocation.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from devstack.lambda_invoke.function import LambdaFunction
from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow

MAX_DEPTH = 32
GOOD = [1.0, 2.0, 3.0, 4.0]


class Invocations:
    """The operation of every request the local Lambda endpoint ran (in this process)."""

    def __init__(self) -> None:
        self.operations: list[str] = []


@pytest.fixture
def invoked(monkeypatch: pytest.MonkeyPatch) -> Invocations:
    seen = Invocations()
    original = LambdaFunction.invoke

    def invoke(self: LambdaFunction, event: Any, **kwargs: Any) -> Any:
        operation = event.get("operation") if isinstance(event, dict) else None
        seen.operations.append(str(operation))
        return original(self, event, **kwargs)

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)
    return seen


def objects(levels: int) -> str:
    """{"a": {"a": ... 1}}: `levels` objects inside each other (JSON text: Python's json and
    recursion would not go 1,000 deep)."""
    return '{"a": ' * levels + "1" + "}" * levels


def and_chain(levels: int, innermost: str) -> str:
    """{"$and": [{"$and": [... innermost]}]}: each level adds an object and an array."""
    return '{"$and": [' * levels + innermost + "]}" * levels


def depth(text: str) -> int:
    """The shared definition (bridge and SQL): JSON containers on the longest path, the
    outermost being 1. Counted over the text, outside strings."""
    deepest = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            level += 1
            deepest = max(deepest, level)
        elif char in "}]":
            level -= 1
    return deepest


TOO_DEEP = {
    "$and 1,000 deep": and_chain(500, '{"a": 1}'),  # 1,001
    "objects 1,000 deep": objects(1000),
    "$and one past the limit": and_chain(16, '{"a": 1}'),  # 33
    "objects one past the limit": objects(MAX_DEPTH + 1),
    "arrays one past the limit": '{"a": {"$in": [' + objects(MAX_DEPTH - 2) + "]}}",  # 3 + 30
}


def test_the_depth_cases_are_what_their_names_say() -> None:
    assert depth('{"a": 1}') == 1
    assert depth('{"a": {"$in": [1, 2]}}') == 3
    assert depth('{"$and": [{"a": 1}]}') == 3
    assert depth('{"a": "[{[{"}') == 1
    assert [depth(v) for v in TOO_DEEP.values()] == [1001, 1000, 33, 33, 33]


@pytest.mark.parametrize("case", list(TOO_DEEP), ids=list(TOO_DEEP))
def test_a_metadata_filter_nested_too_deep_is_refused_before_invoking(
    reader: psycopg.Connection, path: LocalPath, invoked: Invocations, case: str
) -> None:
    nested = TOO_DEEP[case]
    calls = {
        "query_vectors": "SELECT * FROM s3vl.query_vectors(ARRAY[1, 0, 0, 0]::float8[], 'items',"
        " metadata_filter => %s::jsonb)",
        "query_vectors_batch": "SELECT * FROM s3vl.query_vectors_batch("
        "ARRAY[[1, 0, 0, 0]]::float8[], 'items', metadata_filter => %s::jsonb)",
    }
    for fn, sql in calls.items():
        with pytest.raises(psycopg.Error) as refused:
            reader.execute(sql, (nested,))
        error = refused.value
        assert error.sqlstate == "22023", error
        assert error.diag.message_primary.startswith(f's3vl.{fn}: argument "metadata_filter"')
        assert "32 levels" in error.diag.message_primary
        assert error.diag.message_detail and error.diag.message_hint
    assert invoked.operations == []


def test_a_metadata_filter_exactly_32_deep_still_goes_out(
    reader: psycopg.Connection, path: LocalPath, invoked: Invocations
) -> None:
    path.put("items", [
        {"key": "match", "data": {"float32": [1.0, 0.0, 0.0, 0.0]}, "metadata": {"a": 1}},
        {"key": "other", "data": {"float32": [1.0, 0.1, 0.0, 0.0]}, "metadata": {"a": 2}},
    ])  # fmt: skip
    # A valid filter of depth 32: 15 $and levels (30) around {"a": {"$eq": 1}} (2).
    valid = and_chain(15, '{"a": {"$eq": 1}}')
    assert depth(valid) == MAX_DEPTH
    rows = reader.execute(
        "SELECT vector_id FROM s3vl.query_vectors(ARRAY[1, 0, 0, 0]::float8[], 'items',"
        " top_k => 5, metadata_filter => %s::jsonb)",
        (valid,),
    ).fetchall()
    assert rows == [("match",)]
    assert invoked.operations == ["query_vectors"]

    # Plain objects 32 deep are not the filter language, but SQL's depth check lets them by:
    # whatever refuses them is the bridge's answer, after the invocation.
    with pytest.raises(psycopg.Error) as answered:
        reader.execute(
            "SELECT * FROM s3vl.query_vectors(ARRAY[1, 0, 0, 0]::float8[], 'items',"
            " metadata_filter => %s::jsonb)",
            (objects(MAX_DEPTH),),
        ).fetchall()
    assert "32 levels" not in str(answered.value)
    assert "bridge" in (answered.value.diag.message_detail or ""), answered.value
    assert invoked.operations == ["query_vectors", "query_vectors"]


BEYOND_FLOAT64 = {
    "1e400": {"n": "1e400"},
    "-1e400": {"n": "-1e400"},
    "in a list": {"n": "[1, 2e308]"},
    "just past the largest float64": {"n": "1.7976931348623158e308"},
}


def metadata_sql(raw: dict[str, str]) -> str:
    """A metadata object with raw JSON number text (Python would turn 1e400 into inf)."""
    return "{" + ", ".join(f'"{k}": {v}' for k, v in raw.items()) + "}"


@pytest.mark.parametrize("case", list(BEYOND_FLOAT64), ids=list(BEYOND_FLOAT64))
def test_a_metadata_number_beyond_float64_in_the_501st_vector_writes_nothing(
    writer: psycopg.Connection, path: LocalPath, spy: SpyOnWrites, invoked: Invocations, case: str
) -> None:
    bad = metadata_sql(BEYOND_FLOAT64[case])
    good = [{"key": f"g{i}", "data": GOOD, "metadata": {"i": i}} for i in range(500)]
    # The jsonb form: the bad one is vectors[500] (0-based, as JSON).
    with pytest.raises(psycopg.Error) as refused:
        writer.execute(
            "SELECT s3vl.put_vectors('items', %s::jsonb || jsonb_build_array("
            "jsonb_build_object('key', 'bad', 'data', %s::jsonb, 'metadata', %s::jsonb)))",
            (Jsonb(good), Jsonb(GOOD), bad),
        )
    error = refused.value
    assert error.sqlstate == "22023", error
    assert '"vectors[500].metadata"' in error.diag.message_primary, error
    assert "float64" in error.diag.message_primary
    assert error.diag.message_detail and error.diag.message_hint

    # The arrays form: metadata[501] (1-based, as SQL arrays).
    with pytest.raises(psycopg.Error) as refused:
        writer.execute(
            "SELECT s3vl.put_vectors('items', array_append(%s::text[], 'bad'),"
            " array_cat(%s::real[], ARRAY[%s::real[]]),"
            " array_append(%s::jsonb[], %s::jsonb))",
            (
                [f"a{i}" for i in range(500)],
                [list(GOOD) for _ in range(500)],
                GOOD,
                [Jsonb({"i": i}) for i in range(500)],
                bad,
            ),
        )
    error = refused.value
    assert error.sqlstate == "22023", error
    assert '"metadata[501]"' in error.diag.message_primary, error
    assert spy.puts == [] and invoked.operations == []
    assert path.key_set() == set()


def test_the_largest_float64_in_metadata_is_written(
    writer: psycopg.Connection, path: LocalPath
) -> None:
    written = writer.execute(
        "SELECT s3vl.put_vectors('items', jsonb_build_array(jsonb_build_object("
        "'key', 'max', 'data', %s::jsonb, 'metadata', %s::jsonb)))",
        (Jsonb(GOOD), '{"n": -1.7976931348623157e308, "m": 1.7976931348623157e308}'),
    ).fetchone()
    assert written == (1,)
    stored = path.get("items", ["max"])["max"][1]
    assert {k: float(v) for k, v in stored.items()} == {
        "n": -1.7976931348623157e308,
        "m": 1.7976931348623157e308,
    }


def test_query_vectors_batch_takes_any_lower_bounds_and_numbers_rows_from_1(
    reader: psycopg.Connection, path: LocalPath, invoked: Invocations
) -> None:
    path.put("items", [
        {"key": "x", "data": {"float32": [1.0, 0.0, 0.0, 0.0]}},
        {"key": "y", "data": {"float32": [0.0, 1.0, 0.0, 0.0]}},
        {"key": "z", "data": {"float32": [0.0, 0.0, 1.0, 0.0]}},
    ])  # fmt: skip
    arrays = {
        "float8 [2:4][1:4]": "'[2:4][1:4]={{0,1,0,0},{1,0,0,0},{0,0,1,0}}'::float8[]",
        "float8 [0:2][-3:0]": "'[0:2][-3:0]={{0,1,0,0},{1,0,0,0},{0,0,1,0}}'::float8[]",
        "real [7:9][3:6]": "'[7:9][3:6]={{0,1,0,0},{1,0,0,0},{0,0,1,0}}'::real[]",
        "numeric [2:4][2:5]": "'[2:4][2:5]={{0,1,0,0},{1,0,0,0},{0,0,1,0}}'::numeric[]",
    }
    for name, literal in arrays.items():
        rows = reader.execute(
            f"SELECT query_position, vector_id FROM s3vl.query_vectors_batch({literal}, 'items',"
            " top_k => 1) ORDER BY query_position"
        ).fetchall()
        assert rows == [(1, "y"), (2, "x"), (3, "z")], name
    assert invoked.operations == ["query_vectors_batch"] * len(arrays)


BAD_ROWS = {
    "NaN in the third row": ("'[2:4][1:4]={{1,0,0,0},{0,1,0,0},{0,0,NaN,0}}'::float8[]",
                             "query_vectors", "NaN or infinite elements in row 3 "),
    "NULL in the second row": ("'[0:2][1:4]={{1,0,0,0},{0,NULL,0,0},{0,0,1,0}}'::float8[]",
                               "query_vectors", "NULL, NaN or infinite elements in row 2 "),
    "Infinity in the first row": ("'[5:6][3:6]={{1,0,Infinity,0},{0,1,0,0}}'::float8[]",
                                  "query_vectors", "infinite elements in row 1 "),
    "-Infinity in the last of 100 rows": (
        "array_cat(array_fill(1::float8, ARRAY[99, 4], ARRAY[10, 1]),"
        " '{{1,1,1,-Infinity}}'::float8[])",
        "query_vectors", "infinite elements in row 100 ",
    ),
    "wrong dimension with other bounds": ("'[2:3][1:3]={{1,0,0},{0,1,0}}'::float8[]",
                                          "query_vectors", "dimension 4"),
    "101 rows with other bounds": ("array_fill(1::float8, ARRAY[101, 4], ARRAY[3, 3])",
                                   "query_vectors", "at most 100"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_query_vectors_batch_checks_every_row_before_invoking(
    reader: psycopg.Connection, path: LocalPath, invoked: Invocations, case: str
) -> None:
    literal, argument, problem = BAD_ROWS[case]
    with pytest.raises(psycopg.Error) as refused:
        reader.execute(f"SELECT * FROM s3vl.query_vectors_batch({literal}, 'items')")
    error = refused.value
    assert error.sqlstate == "22023", error
    assert error.diag.message_primary.startswith(
        f's3vl.query_vectors_batch: argument "{argument}" '
    ), error
    assert problem in error.diag.message_primary
    assert error.diag.message_detail and error.diag.message_hint
    assert invoked.operations == []


def test_a_synced_row_with_a_number_beyond_float64_is_refused_before_it_is_recorded(
    db: psycopg.Connection,
    writer: psycopg.Connection,
    path: LocalPath,
    spy: SpyOnWrites,
    invoked: Invocations,
) -> None:
    """The capture trigger checks each change with the same checks as put_vectors."""
    db.execute("DROP TABLE IF EXISTS public.measured")
    db.execute("CREATE TABLE public.measured (id text PRIMARY KEY, emb real[], n numeric)")
    owner = writer.execute("SELECT current_user").fetchone()[0]
    db.execute(f'GRANT SELECT, INSERT, UPDATE, TRIGGER ON public.measured TO "{owner}"')
    try:
        writer.execute(
            "SELECT s3vl.sync_table('public.measured', 'id', 'emb', 'items', ARRAY['n'])"
        )
        writer.execute("INSERT INTO public.measured VALUES ('fine', ARRAY[1, 2, 3, 4], 1e308)")
        with pytest.raises(psycopg.Error) as refused:
            writer.execute("INSERT INTO public.measured VALUES ('huge', ARRAY[1, 2, 3, 4], 1e400)")
        error = refused.value
        assert error.sqlstate == "22023", error
        assert "float64" in error.diag.message_primary and "'huge'" in error.diag.message_primary
        outbox = db.execute("SELECT key FROM s3vl.outbox WHERE index_name = 'items'").fetchall()
        assert outbox == [("fine",)]
        assert spy.puts == [] and invoked.operations == []
        assert path.key_set() == set()
    finally:
        db.execute("SELECT s3vl.unsync_table('public.measured', 'items')")
        db.execute("DROP TABLE public.measured")
