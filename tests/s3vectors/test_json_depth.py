"""How deeply JSON nests (devstack/json_depth.py), against a plain recursive count of the parsed
value: the depth of a filter (refused over 32 levels) and of a request body (refused over 512
levels by the local endpoints) must be exactly that, whatever the strings inside hold."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from devstack.json_depth import MAX_JSON_DEPTH, text_depth_over, value_depth


def depth(value: Any) -> int:
    """Objects and arrays on the longest path; a scalar is 0."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


# Strings that hold what a scanner could mistake for structure: brackets, quotes, escapes,
# a backslash right before the closing quote, non-ASCII.
TRICKY = ["[", "{", "]]}}", '"[', '\\"{', "\\", "a\\", '\\\\"[', "é[", "", "x"]


def tree(rng: random.Random, levels: int) -> Any:
    """A value with at most `levels` of objects and arrays, the deepest path chosen at random."""
    if levels == 0:
        return rng.choice([1, 2.5, True, None, *TRICKY])
    children = [tree(rng, levels - 1)] + [tree(rng, rng.randint(0, levels - 1)) for _ in range(2)]
    rng.shuffle(children)
    if rng.random() < 0.5:
        return children
    return {rng.choice(TRICKY) + str(i): child for i, child in enumerate(children)}


def nested(levels: int, kind: str) -> Any:
    value: Any = "]}"
    for level in range(levels):
        if kind == "objects" or (kind == "mixed" and level % 2):
            value = {'"{[': value, "k": [1]} if level else {"k": value}
        else:
            value = [value, "[", {}] if level else [value]
    return value


def test_the_reference_counts_as_the_docs_say() -> None:
    assert depth(1) == 0
    assert depth({"a": 1}) == 1
    assert depth({"a": {"$in": [1, 2]}}) == 3
    assert depth([[], {}]) == 2


@pytest.mark.parametrize("seed", range(40))
def test_value_depth_is_the_depth_of_any_value(seed: int) -> None:
    rng = random.Random(seed)
    value = tree(rng, rng.randint(0, 12))
    assert value_depth(value) == depth(value)


@pytest.mark.parametrize("kind", ["objects", "arrays", "mixed"])
@pytest.mark.parametrize("levels", [0, 1, 2, 31, 32, 33, 200, 600])
def test_value_depth_of_deep_nesting(kind: str, levels: int) -> None:
    value = nested(levels, kind)
    assert value_depth(value) == levels
    assert value_depth(json.loads(json.dumps(value))) == levels


@pytest.mark.parametrize("seed", range(40))
def test_text_depth_over_is_the_depth_when_over_the_limit_and_none_otherwise(seed: int) -> None:
    rng = random.Random(seed)
    value = tree(rng, rng.randint(1, 12))
    raw = json.dumps(value, ensure_ascii=bool(seed % 2)).encode("utf-8")
    want = depth(value)
    assert text_depth_over(raw, want) is None
    assert text_depth_over(raw, want + 1) is None
    assert text_depth_over(raw, want - 1) == want
    assert text_depth_over(raw, 0) == want


@pytest.mark.parametrize("kind", ["objects", "arrays", "mixed"])
def test_text_depth_over_takes_512_levels_by_default(kind: str) -> None:
    """The documented limit of the local endpoints (docs/local.md, the servers' docstrings)."""
    assert MAX_JSON_DEPTH == 512
    for levels, over in ((512, None), (513, 513), (700, 700)):
        assert text_depth_over(json.dumps(nested(levels, kind)).encode()) == over


def test_brackets_inside_strings_do_not_count() -> None:
    # Many brackets, few of them structure: a string of 600 "[" inside two levels.
    raw = json.dumps({"a": ["[" * 600 + '\\"' + "{" * 600]}).encode()
    assert text_depth_over(raw, 1) == 2
    assert text_depth_over(raw, 2) is None
    # An escaped backslash ends the string right after it; the brackets that follow count.
    raw = b'{"a":"\\\\",' + b'"b":' + b"[" * 5 + b"]" * 5 + b"}"
    assert depth(json.loads(raw)) == 6
    assert text_depth_over(raw, 5) == 6
    assert text_depth_over(raw, 6) is None
