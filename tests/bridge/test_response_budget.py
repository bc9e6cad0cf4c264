"""The 6 MB response budget (budget.py, issue 14): where a bound may skip measuring and where it
must not, checked against sizes measured here the way the Lambda runtime serialises (json's
default separators, ASCII escapes) and S3 Vectors' answers as they come over the wire (compact
UTF-8 JSON, their Content-Length).
"""

from __future__ import annotations

import json
import random
import struct
from typing import Any

import pytest
from s3vl_bridge import budget
from s3vl_bridge.errors import InvalidRequest, ResponseTooLarge

LIMIT = 6_000_000  # result rows: what the bridge hands to the runtime at most
KEY_LENGTH_MAX = 1024
METADATA_TOTAL_BYTES = 40 * 1024


def runtime_bytes(value: Any) -> int:
    return len(json.dumps(value))


def wire_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


class CountingJson:
    """Stands in for budget.py's json module: counts the serialisations (measuring)."""

    def __init__(self) -> None:
        self.dumps_calls = 0

    def dumps(self, value: Any, **kwargs: Any) -> str:
        self.dumps_calls += 1
        return json.dumps(value, **kwargs)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> CountingJson:
    counting = CountingJson()
    monkeypatch.setattr(budget, "json", counting)
    return counting


def _query_row(key: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """A query row as operations/query.py makes it, with the longest float json prints."""
    return {
        "vector_id": key,
        "distance": -1.2345678901234567e-308,
        "similarity_score": -1.2345678901234567e-308,
        "metadata": metadata or {},
    }


def _worst_metadata() -> dict[str, Any]:
    """METADATA_TOTAL_BYTES as S3 Vectors counts them (compact UTF-8 JSON), of the characters
    that grow most once ASCII-escaped: two UTF-8 bytes each, six escaped ("\\u0436")."""
    overhead = wire_bytes({"t": ""})
    metadata = {"t": "\u0436" * ((METADATA_TOTAL_BYTES - overhead) // 2)}
    assert wire_bytes(metadata) == METADATA_TOTAL_BYTES
    return metadata


WORST_KEY = "\U0001f600" * KEY_LENGTH_MAX  # outside the BMP: 12 bytes escaped each


@pytest.mark.parametrize("with_metadata", [False, True])
@pytest.mark.parametrize("dimension", [0, 1, 4096])
def test_the_row_bound_holds_the_largest_row_the_bridge_can_return(with_metadata, dimension):
    row = _query_row(WORST_KEY, _worst_metadata() if with_metadata else None)
    row["embedding"] = [-1.2345678901234567e-308] * dimension
    bound = budget.row_bound(with_metadata=with_metadata, dimension=dimension)
    assert runtime_bytes(row) <= bound
    if not with_metadata:
        # A bound on that row, not on a much larger one: the key and the floats are exact.
        assert bound - runtime_bytes(row) < 1024


def test_rows_without_metadata_whose_worst_case_fits_are_not_measured(measured):
    rows = [_query_row(f"k{i}", None) for i in range(400)]
    worst = runtime_bytes(_query_row(WORST_KEY, None))
    assert 400 * worst < LIMIT
    budget.check_size(rows, row_bound=budget.row_bound(with_metadata=False), hint="h")
    assert measured.dumps_calls == 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Пример текста " * 7, id="Cyrillic, about 2.3 times its UTF-8 once escaped"),
        pytest.param("\U0001f600" * 50, id="emoji, 3 times their UTF-8 once escaped"),
    ],
)
def test_a_result_over_the_limit_is_refused_although_its_wire_size_is_far_under(text):
    rows = [_query_row(f"k{i:05d}", {"t": text}) for i in range(10_000)]
    answer = {
        "vectors": [
            {"key": r["vector_id"], "distance": 0.5, "metadata": r["metadata"]} for r in rows
        ],
        "distanceMetric": "cosine",
    }
    assert runtime_bytes(rows) > LIMIT
    assert wire_bytes(answer) < LIMIT / 2
    with pytest.raises(ResponseTooLarge, match=r"10,000 rows.*lower top_k"):
        budget.check_size(
            rows,
            row_bound=budget.row_bound(with_metadata=True),
            hint="lower top_k",
            wire_bytes=wire_bytes(answer),
        )


def test_rows_of_missing_keys_are_bounded_per_row_not_by_the_wire():
    """get_vectors' rows of keys S3 Vectors did not return come with no wire bytes of their own
    (operations/read.py adds only each key's length): 100,000 of them take 7.6 MB."""
    keys = [f"k{i:05d}" for i in range(100_000)]
    rows = [{"vector_id": k, "embedding": None, "metadata": {}, "found": False} for k in keys]
    wire = 1000 * wire_bytes({"vectors": []}) + sum(len(k) for k in keys)
    assert runtime_bytes(rows) > LIMIT
    with pytest.raises(ResponseTooLarge):
        budget.check_size(
            rows, row_bound=budget.row_bound(with_metadata=True), hint="h", wire_bytes=wire
        )


def test_a_small_wire_size_spares_measuring_a_result_whose_rows_could_be_large(measured):
    rows = [_query_row(f"k{i}", {"t": "short"}) for i in range(100)]
    answer = {"vectors": [{"key": r["vector_id"], "metadata": r["metadata"]} for r in rows]}
    bound = budget.row_bound(with_metadata=True)
    assert 100 * bound > LIMIT  # the worst case of every row alone would measure
    budget.check_size(rows, row_bound=bound, hint="h", wire_bytes=wire_bytes(answer))
    assert measured.dumps_calls == 0


def _rows_of_runtime_size(total: int, count: int) -> list[dict[str, str]]:
    """`count` rows {"p": "x..."} that serialise together to exactly `total` bytes."""
    each = (total - 2 - 2 * (count - 1)) // count  # "[", "]" and the ", " separators
    rows = [{"p": "x" * (each - len('{"p": ""}'))} for _ in range(count)]
    rows[0]["p"] += "x" * (total - runtime_bytes(rows))
    assert runtime_bytes(rows) == total
    return rows


def test_a_result_of_exactly_the_limit_passes_and_one_byte_more_is_refused():
    huge = 10 * LIMIT  # a row bound that never spares measuring
    budget.check_size(_rows_of_runtime_size(LIMIT, 3), row_bound=huge, hint="h")
    with pytest.raises(ResponseTooLarge):
        budget.check_size(_rows_of_runtime_size(LIMIT + 1, 3), row_bound=huge, hint="h")


def test_a_result_counted_at_exactly_the_limit_passes_unmeasured(measured):
    rows = _rows_of_runtime_size(LIMIT, 3)  # no floats: counted exactly
    assert budget.counted_bytes(rows) == LIMIT
    budget.check_size(rows, row_bound=10 * LIMIT, hint="h")
    assert measured.dumps_calls == 0


def _floats_of_runtime_size(total: int) -> list[dict[str, Any]]:
    """Rows of short floats (each counted at the widest a float prints, 24 bytes, so the
    count is far above `total`) that serialise to exactly `total` bytes."""
    rows = [{"p": "", "e": [0.5] * 10_000} for _ in range(100)]
    rows[0]["p"] = "x" * (total - runtime_bytes(rows))
    assert runtime_bytes(rows) == total
    return rows


def test_a_measured_result_of_exactly_the_limit_passes_and_one_byte_more_is_refused(measured):
    rows = _floats_of_runtime_size(LIMIT)
    assert budget.counted_bytes(rows) > LIMIT
    budget.check_size(rows, row_bound=10 * LIMIT, hint="h")
    assert measured.dumps_calls >= 1
    with pytest.raises(ResponseTooLarge):
        budget.check_size(_floats_of_runtime_size(LIMIT + 1), row_bound=10 * LIMIT, hint="h")


def test_a_result_over_the_limit_is_refused_when_no_slice_of_it_is():
    rows = _rows_of_runtime_size(LIMIT + 1, 1000)  # measured 256 rows at a time
    assert runtime_bytes(rows[:256]) < LIMIT / 3
    with pytest.raises(ResponseTooLarge, match="1,000 rows"):
        budget.check_size(rows, row_bound=10 * LIMIT, hint="h")


def test_the_wire_total_of_several_answers_is_their_sum_or_unknown():
    assert budget.wire_total([]) == 0
    assert budget.wire_total([120, 3, 0]) == 123
    assert budget.wire_total(iter([7])) == 7
    assert budget.wire_total([120, None, 3]) is None


def test_a_write_naming_more_keys_than_its_answer_can_hold_is_refused():
    answer_limit = 6_291_556 - 16_384  # Lambda's 6 MB less the envelope's other fields
    keys = [f"{i:08d}" + "k" * 1000 for i in range(answer_limit // 1012 + 1)]
    assert runtime_bytes(keys) > answer_limit
    with pytest.raises(InvalidRequest) as refused:
        budget.check_keys_fit(keys, "vectors")
    assert refused.value.field == "vectors"
    assert f"has {len(keys)} keys" in refused.value.message


def test_keys_taking_exactly_the_answers_room_pass_and_one_byte_more_is_refused():
    answer_limit = 6_291_556 - 16_384
    keys = ["k" * 890] * 7000  # measured: 7,000 keys of up to 1,024 characters might not fit
    keys[0] += "k" * (answer_limit - runtime_bytes(keys))
    assert runtime_bytes(keys) == answer_limit
    budget.check_keys_fit(keys, "vector_ids")
    keys[0] += "k"
    with pytest.raises(InvalidRequest) as refused:
        budget.check_keys_fit(keys, "vector_ids")
    assert refused.value.field == "vector_ids"


def test_a_write_whose_keys_fit_its_answer_is_not_refused(measured):
    budget.check_keys_fit(["k" * KEY_LENGTH_MAX] * 500, "vectors")
    assert measured.dumps_calls == 0
    long_but_fitting = [f"{i:06d}" for i in range(100_000)]  # 1 MB: measured, and fits
    budget.check_keys_fit(long_but_fitting, "vectors")
    assert measured.dumps_calls == 1


# Rows counted (budget.counted_bytes): every part exact but floats, each at its widest.

WIDEST_FLOAT = -1.2345678901234567e-308


def _get_rows(count: int, dimension: int, seed: int = 7) -> list[dict[str, Any]]:
    """get_vectors rows as operations/read.py makes them: float32 values as boto3 parses them."""
    rng = random.Random(seed)
    return [
        {
            "vector_id": f"doc-{i:05d}",
            "embedding": [
                struct.unpack("f", struct.pack("f", rng.uniform(-1, 1)))[0]
                for _ in range(dimension)
            ],
            "metadata": {"title": f"Document {i}", "lang": "en"},
            "found": True,
        }
        for i in range(count)
    ]


def test_vectors_whose_wire_size_could_grow_past_the_limit_are_counted_not_serialised(measured):
    rows = _get_rows(100, 768)
    answer = {"vectors": [{"key": r["vector_id"], "data": {"float32": r["embedding"]},
                           "metadata": r["metadata"]} for r in rows]}  # fmt: skip
    wire = wire_bytes(answer)
    # What the wire size alone allows (6 bytes out per byte in) would need measuring.
    assert wire * 6 + 100 * 256 > LIMIT
    budget.check_size(
        rows, row_bound=budget.row_bound(with_metadata=True, dimension=768), hint="h",
        wire_bytes=wire,
    )  # fmt: skip
    assert measured.dumps_calls == 0


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " and backslash \\',
        "control \x01\n\t characters",
        "Пример текста",
        "\U0001f600 outside the BMP",
        "",
        0,
        -(10**40),
        True,
        False,
        None,
        [],
        {},
        [1, "two", None, [True]],
        {"é": {"nested": ["deep", {"k": 2}]}, "n": -7},
    ],
)
def test_counting_is_exact_for_everything_but_floats(value):
    assert budget.counted_bytes(value) == runtime_bytes(value)
    row = {"vector_id": "k", "metadata": {"v": value}}
    assert budget.counted_bytes([row, row]) == runtime_bytes([row, row])


@pytest.mark.parametrize(
    "value",
    [
        [WIDEST_FLOAT] * 4096,
        [0.5, WIDEST_FLOAT, 1e300, float("nan"), float("inf")],
        {"distance": WIDEST_FLOAT, "scores": {"fused": 0.25}, "mixed": [1, 2.5, "x"]},
        _get_rows(3, 16),
    ],
)
def test_counting_never_falls_below_what_the_runtime_prints(value):
    assert budget.counted_bytes(value) >= runtime_bytes(value)


@pytest.mark.parametrize("rows", [[], ["a"], ["ab", {"k": [1, None]}, "é"], [[True]] * 5])
def test_counting_with_a_stop_that_is_never_reached_is_exact(rows):
    assert budget.counted_bytes(rows, stop_above=10**9) == runtime_bytes(rows)


def test_counting_stops_at_the_first_row_that_takes_it_past_the_stop():
    rows = ["ab", "cd", "ef", "gh"]  # brackets and 3 separators: 8 bytes, then 4 per row
    assert runtime_bytes(rows) == 24
    assert budget.counted_bytes(rows, stop_above=8) == 12
    assert budget.counted_bytes(rows, stop_above=12) == 16  # reaching the stop is not passing it
    assert budget.counted_bytes(rows, stop_above=13) == 16
    assert budget.counted_bytes(rows, stop_above=20) == 24


def test_widest_floats_are_counted_exactly():
    vector = [WIDEST_FLOAT] * 1000
    assert budget.counted_bytes(vector) == runtime_bytes(vector)


def test_vectors_too_large_for_the_limit_are_refused():
    rows = [{"vector_id": f"k{i}", "embedding": [WIDEST_FLOAT] * 4096} for i in range(60)]
    assert runtime_bytes(rows) > LIMIT
    with pytest.raises(ResponseTooLarge, match="60 rows"):
        budget.check_size(rows, row_bound=10 * LIMIT, hint="h")


def test_vectors_whose_count_passes_the_limit_are_measured_and_pass_when_they_fit(measured):
    rows = [{"vector_id": f"k{i}", "embedding": [0.5] * 4096} for i in range(70)]
    assert budget.counted_bytes(rows) > LIMIT > runtime_bytes(rows)
    budget.check_size(rows, row_bound=10 * LIMIT, hint="h")
    assert measured.dumps_calls >= 1


def test_a_value_json_would_not_print_itself_is_measured(measured):
    rows = [{"vector_id": "k", "embedding": (0.5, 0.25)}]  # a tuple: printed as a list
    assert budget.counted_bytes(rows) is None
    budget.check_size(rows, row_bound=10 * LIMIT, hint="h")
    assert measured.dumps_calls == 1
