"""s3vl.put_vectors and s3vl.delete_vectors from SQL, checked through boto3 against the local
service: round trips, batching under Lambda's 6 MB, and bad input refused before any write."""

from __future__ import annotations

import json
import random

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support.float32 import (
    EXTREME_FLOAT32,
    EXTREME_FLOAT32_VIA_JSONB,
    as_numeric,
    float32_bits,
    real_array,
)
from tests.support.local_path import LocalPath, SpyOnWrites

pytestmark = pytest.mark.slow


def put(db: psycopg.Connection, keys: list[str], rows: list[list[float]], meta=None) -> int:
    metadata = None if meta is None else [None if m is None else Jsonb(m) for m in meta]
    return db.execute(
        "SELECT s3vl.put_vectors('items', %s::text[], %s::real[], %s::jsonb[])",
        (keys, [[float(x) for x in row] for row in rows], metadata),
    ).fetchone()[0]


def test_put_vectors_writes_data_and_metadata_that_boto3_reads_back(
    db: psycopg.Connection, path: LocalPath
) -> None:
    count = put(
        db,
        ["a", "b"],
        [[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, -2.5]],
        [{"genre": "news", "year": 2024}, None],
    )
    assert count == 2
    stored = path.vectors()
    assert set(stored) == {"a", "b"}
    assert stored["a"][0] == pytest.approx([0.1, 0.2, 0.3, 0.4], rel=1e-6)
    assert stored["a"][1] == {"genre": "news", "year": 2024}
    assert stored["b"][0] == [1.0, 0.0, 0.0, -2.5]
    assert stored["b"][1] == {}


def test_extreme_float32_values_are_stored_exactly_as_given_whatever_the_session_prints(
    db: psycopg.Connection, path: LocalPath
) -> None:
    # At extra_float_digits 0 PostgreSQL prints 6 digits (3.40282e+38): what is sent must not
    # depend on it (the rows go out in binary, array_send).
    db.execute("SET extra_float_digits = 0")
    literal = real_array(EXTREME_FLOAT32)
    keys = [f"x{i}" for i in range(len(EXTREME_FLOAT32))]
    written = db.execute(
        "SELECT s3vl.put_vectors('items', %s::text[], %s::real[])", (keys, literal)
    ).fetchone()[0]
    assert written == len(keys)
    stored = path.get("items", keys)
    # Bit for bit, the sign of zero too: -0, the largest float32 and its negative, 1e-45.
    assert float32_bits([stored[key][0] for key in keys]) == float32_bits(EXTREME_FLOAT32)


def test_a_slice_of_rows_with_other_lower_bounds_is_stored_row_by_row(
    db: psycopg.Connection, path: LocalPath
) -> None:
    # array_send of vectors[r:r] keeps r as the row's lower bound, and the columns' own
    # lower bound (here 0): the bridge takes any lower bound, each row its own.
    written = db.execute(
        "SELECT s3vl.put_vectors('items', ARRAY['lb-a', 'lb-b'],"
        " '[5:6][0:3]={{-0,1e-45,3.4028235e+38,-3.4028235e+38},{1,2,3,4}}'::real[])"
    ).fetchone()[0]
    assert written == 2
    stored = path.get("items", ["lb-a", "lb-b"])
    assert float32_bits([stored["lb-a"][0], stored["lb-b"][0]]) == float32_bits(
        [["-0", "1e-45", "3.4028235e+38", "-3.4028235e+38"], ["1", "2", "3", "4"]]
    )


def test_rows_that_start_with_zeros_but_are_not_all_zeros_go_to_a_cosine_index(
    db: psycopg.Connection, path: LocalPath
) -> None:
    # Only a row of nothing but zeros (-0 among them) is refused on a cosine index.
    rows = [[0, 0, 0, 1], [-0.0, 0, 1e-45, 0], [0, 0, 0, -2]]
    assert put(db, ["z1", "z2", "z3"], rows) == 3
    assert sorted(path.key_set()) == ["z1", "z2", "z3"]


def test_the_jsonb_form_stores_the_float32_nearest_each_json_number(
    db: psycopg.Connection, path: LocalPath
) -> None:
    rows = EXTREME_FLOAT32_VIA_JSONB
    vectors = (
        "["
        + ",".join(f'{{"key": "j{i}", "data": [{", ".join(row)}]}}' for i, row in enumerate(rows))
        + "]"
    )
    keys = [f"j{i}" for i in range(len(rows))]
    assert db.execute("SELECT s3vl.put_vectors('items', %s::jsonb)", (vectors,)).fetchone()[
        0
    ] == len(rows)
    stored = path.get("items", keys)
    # jsonb holds numbers as numeric, which has no negative zero: -0 arrives as 0.
    assert float32_bits([stored[key][0] for key in keys]) == float32_bits(as_numeric(rows))


def test_put_vectors_overwrites_an_existing_key(db: psycopg.Connection, path: LocalPath) -> None:
    put(db, ["a"], [[1, 2, 3, 4]], [{"v": 1}])
    put(db, ["a"], [[4, 3, 2, 1]], [{"v": 2}])
    assert path.vectors() == {"a": ([4.0, 3.0, 2.0, 1.0], {"v": 2})}


def test_the_jsonb_form_takes_the_put_vectors_file_format(
    db: psycopg.Connection, path: LocalPath
) -> None:
    vectors = [
        {"key": "x", "data": {"float32": [1, 2, 3, 4]}, "metadata": {"tags": ["a", "b"]}},
        {"key": "y", "data": [0.5, 0.5, 0.5, 0.5]},
    ]
    count = db.execute("SELECT s3vl.put_vectors('items', %s)", (Jsonb(vectors),)).fetchone()[0]
    assert count == 2
    assert path.vectors() == {
        "x": ([1.0, 2.0, 3.0, 4.0], {"tags": ["a", "b"]}),
        "y": ([0.5, 0.5, 0.5, 0.5], {}),
    }


def test_the_jsonb_form_loads_a_table_in_one_insert_select_style_call(
    db: psycopg.Connection, path: LocalPath
) -> None:
    count = db.execute(
        """SELECT s3vl.put_vectors('items', jsonb_agg(jsonb_build_object(
               'key', 'row-' || i, 'data', ARRAY[i, 1, 2, 3]::real[],
               'metadata', jsonb_build_object('i', i))))
           FROM generate_series(1, 1200) AS i"""
    ).fetchone()[0]
    assert count == 1200
    stored = path.vectors()
    assert set(stored) == {f"row-{i}" for i in range(1, 1201)}
    assert stored["row-777"] == ([777.0, 1.0, 2.0, 3.0], {"i": 777})


def test_more_than_500_vectors_go_out_in_puts_of_at_most_500(
    db: psycopg.Connection, path: LocalPath, spy: SpyOnWrites
) -> None:
    keys = [f"k{i}" for i in range(3201)]
    assert put(db, keys, [[1, 2, 3, float(i)] for i in range(3201)]) == 3201
    # Invocations of 1,500 (1,500, 1,500, 201), each written as PutVectors of 500 at once.
    assert sorted(len(call) for call in spy.puts) == [201] + [500] * 6
    assert path.key_set() == set(keys)


def test_an_invocation_carries_three_puts_worth_of_small_vectors(db: psycopg.Connection) -> None:
    runs = db.execute(
        """SELECT b.first_item, b.last_item FROM s3vl._put_batches(ARRAY(
               SELECT s3vl._put_item('k' || i, '[1,2,3,4]', NULL)
               FROM generate_series(1, 3001) AS i ORDER BY i)) AS b ORDER BY b.batch"""
    ).fetchall()
    assert runs == [(1, 1500), (1501, 3000), (3001, 3001)]


def test_a_thousand_vectors_of_4096_dimensions_go_through_under_6_mb_per_invocation(
    db: psycopg.Connection, path: LocalPath, spy: SpyOnWrites
) -> None:
    rng = random.Random(6)
    rows = [[rng.uniform(-1, 1) for _ in range(4096)] for _ in range(1000)]
    keys = [f"w{i}" for i in range(1000)]
    written = db.execute(
        "SELECT s3vl.put_vectors('wide', %s::text[], %s::real[])", (keys, rows)
    ).fetchone()[0]
    assert written == 1000
    # The byte budget cuts invocations at 286 rows (~21.9 KB each in binary), well under 1,500,
    # so four (docs/sql.md says so): the runs _put_batches makes of these rows' items.
    runs = db.execute(
        """SELECT b.first_item - 1, b.last_item FROM s3vl._put_batches(ARRAY(
               SELECT s3vl._put_item(k.key, s3vl._vector_data(%s::real[]), NULL)
               FROM unnest(%s::text[]) WITH ORDINALITY AS k(key, n) ORDER BY k.n)) AS b
           ORDER BY b.batch""",
        (rows[0], keys),
    ).fetchall()
    assert [last - first for first, last in runs] == [286, 286, 286, 142]
    # Every PutVectors the bridge made (it cuts at 20 MiB too) lies within one of those runs.
    run_of = {key: n for n, (first, last) in enumerate(runs) for key in keys[first:last]}
    assert sorted(key for call in spy.puts for key in call) == sorted(keys)
    assert all(len({run_of[key] for key in call}) == 1 for call in spy.puts)
    assert path.key_set("wide") == set(keys)
    stored = path.get("wide", ["w0", "w999"])
    assert stored["w0"][0] == pytest.approx(rows[0], rel=1e-6)
    assert stored["w999"][0] == pytest.approx(rows[999], rel=1e-6)


def test_the_batches_stay_under_the_6_mb_payload(db: psycopg.Connection) -> None:
    row = "[" + ",".join(["-0.12345678"] * 4096) + "]"
    arn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/b/index/wide"
    sizes = db.execute(
        """WITH t AS (SELECT ARRAY(SELECT s3vl._put_item('k' || i, %s, NULL)
                                   FROM generate_series(1, 300) AS i ORDER BY i) AS items)
           SELECT b.first_item, b.last_item,
                  octet_length(s3vl._put_request(%s, t.items[b.first_item:b.last_item])::text),
                  octet_length(s3vl._put_request(%s, t.items[b.first_item:b.last_item + 1])::text)
           FROM t, s3vl._put_batches(t.items) AS b ORDER BY b.batch""",
        (row, arn, arn),
    ).fetchall()
    # Runs that cover every item once, in order, each request under Lambda's 6 MB, and each cut
    # only where the next item would have gone over it (the 16 KiB kept aside included).
    assert [first for first, *_ in sizes] == [1] + [last + 1 for _, last, *_ in sizes[:-1]]
    assert sizes[-1][1] == 300 and len(sizes) >= 2
    assert all(request < 6 * 1024 * 1024 - 16 * 1024 for *_, request, _ in sizes)
    assert all(longer > 6 * 1024 * 1024 - 16 * 1024 - 200 for *_, longer in sizes[:-1])


def test_delete_vectors_removes_the_keys_and_ignores_unknown_ones(
    db: psycopg.Connection, path: LocalPath
) -> None:
    put(db, ["a", "b", "c"], [[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]])
    count = db.execute(
        "SELECT s3vl.delete_vectors('items', ARRAY['a', 'c', 'never-written', 'a'])"
    ).fetchone()[0]
    assert count == 3  # distinct keys sent
    assert path.key_set() == {"b"}


def test_delete_vectors_sends_at_most_500_keys_per_call(
    db: psycopg.Connection, path: LocalPath, spy: SpyOnWrites
) -> None:
    keys = [f"d{i}" for i in range(1100)]
    put(db, keys, [[1, 1, 1, float(i)] for i in range(1100)])
    assert db.execute("SELECT s3vl.delete_vectors('items', %s)", (keys,)).fetchone()[0] == 1100
    assert [len(call) for call in spy.deletes] == [500, 500, 100]
    assert path.key_set() == set()


def test_an_index_arn_works_in_place_of_a_name(db: psycopg.Connection, path: LocalPath) -> None:
    arn = db.execute("SELECT s3vl.resolve_index_arn('items')").fetchone()[0]
    db.execute("SELECT s3vl.put_vectors(%s, ARRAY['z'], ARRAY[[1, 2, 3, 4]]::real[])", (arn,))
    assert path.key_set() == {"z"}


def test_a_failed_batch_says_how_much_was_written_before_it(
    db: psycopg.Connection, path: LocalPath
) -> None:
    from devstack.s3vectors import faults

    # Batches of 1,500 and 200: the first batch's three PutVectors pass, the fourth fails.
    faults.inject("PutVectors", code="ServiceUnavailableException", status=503, skip=3)
    try:
        keys = [f"p{i}" for i in range(1700)]
        with pytest.raises(psycopg.Error) as failure:
            put(db, keys, [[1, 2, 3, float(i)] for i in range(1700)])
    finally:
        faults.clear()
    assert failure.value.sqlstate == "58000"
    detail = failure.value.diag.message_detail
    assert "Batch 2 of 2 failed; 1500 vectors were written" in detail and "'p1500'" in detail
    assert path.key_set() == set(keys[:1500])


def test_a_batch_written_in_part_says_how_much_of_it_was_written(
    db: psycopg.Connection, path: LocalPath
) -> None:
    """One invocation, three PutVectors at once: the second to arrive fails. The error counts
    the other two chunks as written and names the first key of the failed one."""
    from devstack.s3vectors import faults

    faults.inject("PutVectors", code="ServiceUnavailableException", status=503, skip=1)
    keys = [f"p{i:04d}" for i in range(1200)]
    try:
        with pytest.raises(psycopg.Error) as failure:
            put(db, keys, [[1, 2, 3, float(i)] for i in range(1200)])
    finally:
        faults.clear()
    assert failure.value.sqlstate == "58000"
    written = path.key_set()
    chunks = [keys[:500], keys[500:1000], keys[1000:]]
    (lost,) = [chunk for chunk in chunks if not set(chunk) & written]
    assert written == set(keys) - set(lost)
    detail = failure.value.diag.message_detail
    assert f"Batch 1 of 1 failed; {1200 - len(lost)} vectors were written all the same" in detail
    assert f"the first key not written is '{lost[0]}'" in detail
    assert "PartialWrite" in detail
    assert "Run the same call again" in failure.value.diag.message_hint


def test_json_metadata_sizes_are_counted_as_s3_vectors_counts_them(
    db: psycopg.Connection,
) -> None:
    for value in ({"a": 1}, {"a": "x, y: z", "b": [1, 2, 3], "c": True}, {}):
        compact = len(json.dumps(value, separators=(",", ":")).encode())
        measured = db.execute("SELECT s3vl._metadata_bytes(%s)", (Jsonb(value),)).fetchone()[0]
        assert measured == compact, value


def test_metadata_over_2_kb_is_accepted_when_the_big_keys_are_non_filterable(
    db: psycopg.Connection, path: LocalPath
) -> None:
    body = "long text " * 500  # 5,000 bytes, under 40 KB in all, non-filterable on `notes`
    db.execute(
        "SELECT s3vl.put_vectors('notes', ARRAY['n1'], ARRAY[[1, 2, 3, 4]]::real[], %s::jsonb[])",
        ([Jsonb({"body": body, "lang": "en"})],),
    )
    assert path.get("notes", ["n1"])["n1"][1] == {"body": body, "lang": "en"}


def test_a_put_plans_the_queries_that_slice_its_batch_for_each_call(
    db: psycopg.Connection,
) -> None:
    """After five calls plpgsql may keep a generic plan, where the batch's real[] stays a
    parameter and each row's slice vectors[r:r] reads the whole array again: a put of 5,000 x
    768 in a session that had made a few small puts spent 3.5 s in each of the checks and the
    texts against 0.25 s. s3vl._put_items plans them for each call (the array is then a
    constant of the plan); a sync trigger's one-row check keeps the default. bench_write's
    'after 10 small puts' row measures it."""
    configs = dict(
        db.execute(
            "SELECT p.proname, p.proconfig FROM pg_proc AS p"
            " WHERE p.pronamespace = 's3vl'::regnamespace"
            " AND p.proname IN ('_put_items', '_check_put_items', '_put_item_texts')"
        ).fetchall()
    )
    assert configs == {
        "_put_items": ["plan_cache_mode=force_custom_plan"],
        "_check_put_items": None,
        "_put_item_texts": None,
    }
