"""How deeply JSON nests, measured without recursion, so that the local endpoints refuse a
document too deep for Python's json module (a RecursionError near 1,000 levels, a crash of
the request) with a 4xx answer instead.

Depth counts objects and arrays on the longest path; the outermost one is level 1
(`{"a": 1}` is 1, `{"a": {"$in": [1, 2]}}` is 3).
"""

from __future__ import annotations

import re
from typing import Any

# The deepest request body the local Lambda Invoke endpoint and the local S3 Vectors service
# parse. Far above any real request (a metadata filter is at most 32 deep, MAX_FILTER_DEPTH of
# the bridge), far below the ~1,000 levels where json.loads runs out of stack.
MAX_JSON_DEPTH = 512

# A string, escapes included: removed before counting, so brackets inside strings do not count.
# A malformed document may be miscounted, but it fails to parse anyway.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_A_BRACKET_OR_QUOTE = bytes(b for b in range(256) if b not in b'[]{}"')
_OPENERS = frozenset(b"[{")


def text_depth_over(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The nesting depth of JSON text when it is over `limit`, else None."""
    # Only brackets and string quotes matter, and a body of vectors is nearly all numbers: the
    # escapes that could hide a quote go first (escaped backslashes, then escaped quotes; pairs
    # taken from the left, as JSON reads them), then every other byte, all at C speed; the
    # string pattern then runs over what is left, a few bytes a string instead of megabytes.
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    reduced = raw.translate(None, _NOT_A_BRACKET_OR_QUOTE)
    if reduced.count(b"[") + reduced.count(b"{") <= limit:
        return None  # fewer openers than the limit: cannot nest deeper
    brackets = _STRING.sub(b"", reduced).translate(None, _NOT_A_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest if deepest > limit else None


def value_depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value (0 for a scalar)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest
