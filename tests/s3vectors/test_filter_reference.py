"""Every filter of a generated set matches exactly the vectors a plain-Python reading of the
filter language says it does (DESIGN.md: no type coercion, a list matches when an element
does, $ne/$nin are negations so a missing key matches them, numbers are float64).

The reference below evaluates one metadata object at a time, recursively; the service
compiles the filter once and tests whole columns in numpy. They share no code.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from devstack.s3vectors.filters import Columns

# Values under "v" (and some under "w"): every JSON type a metadata value can have, lists
# of one type and of mixed types, an empty list, look-alikes across types ("5" and 5, true
# and 1, "" and false), a prefix and its extension.
VALUES: list[Any] = [
    "red",
    "re",
    "redder",
    "Red",
    "blue",
    "",
    "5",
    "true",
    0,
    1,
    5,
    5.0,
    2.5,
    -1,
    -0.0,
    1e300,
    -1e300,
    True,
    False,
    ["red", "blue"],
    [1, 5],
    ["x", 7, True],
    [],
    [False],
    [2.5, "red", "re"],
    [0, -1],
]
W_VALUES: list[Any] = ["x", 5, ["x", "y"], False]


def rows() -> dict[str, dict[str, Any]]:
    """Metadata by key: each value under "v" alone and next to a "w", and rows without "v"."""
    out: dict[str, dict[str, Any]] = {}
    for i, value in enumerate(VALUES):
        out[f"v{i:02d}"] = {"v": value}
        out[f"vw{i:02d}"] = {"v": value, "w": W_VALUES[i % len(W_VALUES)]}
    out["none"] = {}
    for i, value in enumerate(W_VALUES):
        out[f"w{i}"] = {"w": value}
    return out


ROWS = rows()

# --- the reference ------------------------------------------------------------------------


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality without coercion; numbers compare as float64."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return isinstance(a, str) and isinstance(b, str) and a == b


_ORDER = {
    "$gt": lambda x, y: x > y,
    "$gte": lambda x, y: x >= y,
    "$lt": lambda x, y: x < y,
    "$lte": lambda x, y: x <= y,
}


def _positive(value: Any, op: str, arg: Any) -> bool:
    """One scalar against one operator that is not a negation."""
    if op == "$eq":
        return _equal(value, arg)
    if op == "$in":
        return any(_equal(value, option) for option in arg)
    if op == "$startsWith":
        return isinstance(value, str) and value.startswith(arg)
    return _is_number(value) and _ORDER[op](float(value), float(arg))


def _condition(meta: dict[str, Any], key: str, op: str, arg: Any) -> bool:
    if op == "$exists":
        return (key in meta) is arg
    if op in ("$ne", "$nin"):
        return not _condition(meta, key, {"$ne": "$eq", "$nin": "$in"}[op], arg)
    if key not in meta:
        return False
    value = meta[key]
    items = value if isinstance(value, list) else [value]
    return any(_positive(item, op, arg) for item in items)


def reference(document: dict[str, Any], meta: dict[str, Any]) -> bool:
    results = []
    for key, value in document.items():
        if key == "$and":
            results.append(all(reference(sub, meta) for sub in value))
        elif key == "$or":
            results.append(any(reference(sub, meta) for sub in value))
        elif isinstance(value, dict):
            results.extend(_condition(meta, key, op, arg) for op, arg in value.items())
        else:
            results.append(_condition(meta, key, "$eq", value))
    return all(results)


# --- the filters --------------------------------------------------------------------------

SCALARS: list[Any] = [
    "red",
    "re",
    "Red",
    "blue",
    "",
    "5",
    "x",
    "true",
    0,
    1,
    5,
    5.0,
    2.5,
    7,
    -1,
    0.0,
    1e300,
    True,
    False,
]
BOUNDS: list[Any] = [-1e300, -1, -0.5, 0, 1, 2.5, 4.9, 5, 6, 1e300]
PREFIXES = ["re", "r", "red", "redd", "R", "bl", "x", "5", "t", "blue!"]


def leaves(key: str) -> list[dict[str, Any]]:
    """Every single-operator condition on `key` over the value pools."""
    out: list[dict[str, Any]] = []
    for arg in SCALARS:
        out += [{key: arg}, {key: {"$eq": arg}}, {key: {"$ne": arg}}]
    for bound, op in itertools.product(BOUNDS, ("$gt", "$gte", "$lt", "$lte")):
        out.append({key: {op: bound}})
    rng = random.Random(f"in-{key}")
    for size in (1, 1, 2, 2, 3, 3, 4):
        for _ in range(4):
            options = rng.sample(SCALARS, size)
            out += [{key: {"$in": options}}, {key: {"$nin": options}}]
    out += [{key: {"$exists": True}}, {key: {"$exists": False}}]
    out += [{key: {"$startsWith": prefix}} for prefix in PREFIXES]
    return out


def filters() -> list[dict[str, Any]]:
    singles = leaves("v") + leaves("w")
    rng = random.Random(14)
    combined: list[dict[str, Any]] = []
    # several operators on one key; several keys in one object
    for _ in range(40):
        a, b = rng.sample(leaves("v"), 2)
        if isinstance(a["v"], dict) and isinstance(b["v"], dict) and a["v"].keys() != b["v"].keys():
            combined.append({"v": {**a["v"], **b["v"]}})
        combined.append({**rng.choice(leaves("v")), **rng.choice(leaves("w"))})
    # $and / $or of two or three conditions, and one level deeper
    for _ in range(60):
        op = rng.choice(["$and", "$or"])
        combined.append({op: rng.sample(singles, rng.randint(1, 3))})
    for _ in range(30):
        inner = {rng.choice(["$and", "$or"]): rng.sample(singles, 2)}
        combined.append({rng.choice(["$and", "$or"]): [inner, rng.choice(singles)]})
        combined.append({**inner, **rng.choice(leaves("w"))})
    return singles + combined


FILTERS = filters()


@pytest.fixture
def index(client, make_index) -> dict[str, str]:
    selector = make_index(dimension=2, metric="euclidean")
    client.put_vectors(
        **selector,
        vectors=[
            {"key": key, "data": {"float32": [float(i), 1.0]}, "metadata": meta}
            for i, (key, meta) in enumerate(ROWS.items())
        ],
    )
    return selector


def test_the_reference_reads_the_documented_examples() -> None:
    """The reference itself, on cases whose answer is written out by hand."""
    assert reference({"v": "red"}, {"v": ["red", "blue"]})
    assert not reference({"v": 1}, {"v": True})
    assert not reference({"v": "5"}, {"v": 5})
    assert reference({"v": 5}, {"v": 5.0})
    assert reference({"v": {"$ne": "red"}}, {})
    assert not reference({"v": {"$ne": "red"}}, {"v": ["blue", "red"]})
    assert reference({"v": {"$nin": [1]}}, {"v": [2, 3]})
    assert not reference({"v": {"$gt": 0}}, {"v": True})
    assert reference({"v": {"$gt": 6}}, {"v": ["x", 7]})
    assert not reference({"v": {"$gte": 5, "$lt": 5}}, {"v": 5})
    assert reference({"v": {"$exists": True}}, {"v": []})
    assert not reference({"v": {"$exists": False}}, {"v": []})
    assert reference({"$or": [{"v": 1}, {"w": "x"}]}, {"w": "x"})
    assert not reference({"$and": [{"v": 1}, {"w": "x"}]}, {"w": "x"})
    assert reference({"v": {"$startsWith": "re"}}, {"v": ["x", "red"]})
    assert not reference({"v": {"$startsWith": "5"}}, {"v": 5})


def test_every_generated_filter_matches_what_the_reference_says(client, index) -> None:
    assert len(ROWS) < 100  # one page holds every match
    wrong = []
    for document in FILTERS:
        response = client.query_vectors(
            **index, topK=100, queryVector={"float32": [0.0, 0.0]}, filter=document
        )
        got = {v["key"] for v in response["vectors"]}
        expected = {key for key, meta in ROWS.items() if reference(document, meta)}
        if got != expected:
            wrong.append((document, sorted(got - expected), sorted(expected - got)))
    assert wrong == [], f"{len(wrong)} of {len(FILTERS)} filters, e.g. {wrong[:3]}"
    # The set is not trivial: most filters match some rows and miss others.
    sizes = [sum(reference(d, m) for m in ROWS.values()) for d in FILTERS]
    assert sum(0 < s < len(ROWS) for s in sizes) > len(FILTERS) / 2


def test_a_column_is_built_once_per_key_and_snapshot() -> None:
    """Every condition on a key, in every query of an unchanged index, reads the same typed
    views (store.columns() is kept per snapshot)."""
    columns = Columns([{"v": 1}, {"w": "x"}])
    first = columns.column("v")
    assert columns.column("v") is first
    assert columns.column("w") is not first
    assert first.present.tolist() == [True, False]
    assert first.numbers[0] == 1
