"""Checks on JSON values that pydantic does not make, done without recursion so that no input
can exhaust Python's stack: how deeply a metadata filter nests, and numbers S3 Vectors cannot
keep (it stores and compares metadata numbers as float64); and the size of metadata as
S3 Vectors counts it."""

from __future__ import annotations

import json
import math
from typing import TypeAlias

from .errors import InvalidRequest
from .limits import FILTER_DEPTH_MAX, FLOAT64_MAX

FLOAT64_HINT = (
    "S3 Vectors keeps metadata numbers as float64 (finite, at most ±1.7976931348623157e308); "
    "store a larger number as a string"
)

# A place in a JSON document as a linked list from the leaf: (parent path, step) or None.
_Path: TypeAlias = "tuple[_Path, str] | None"


def not_float64(value: object) -> str | None:
    """Why a JSON number (int or float) is not a finite float64, or None when it is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a finite number"
    if isinstance(value, int) and not -FLOAT64_MAX <= value <= FLOAT64_MAX:
        # Never str() it: an integer of more than 4,300 digits cannot be printed.
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"a number of about {digits} digits is beyond float64"
    return None


def check_filter(document: object, field: str = "metadata_filter") -> None:
    """Refuse a metadata filter nested deeper than FILTER_DEPTH_MAX, or holding a number that is
    not a finite float64. Runs before the request model sees the filter."""
    deepest = 0
    bad: tuple[str, _Path] | None = None
    # (value, its depth if it is an object or array, its path)
    stack: list[tuple[object, int, _Path]] = [(document, 1, None)]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1, (path, f".{k}")) for k, v in value.items())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1, (path, f"[{i}]")) for i, v in enumerate(value))
        elif bad is None and isinstance(value, int | float):
            problem = not_float64(value)
            if problem is not None:
                bad = (problem, path)
    if deepest > FILTER_DEPTH_MAX:
        raise InvalidRequest(
            f"is nested {deepest} levels deep; at most {FILTER_DEPTH_MAX} are allowed (each "
            "JSON object or array on the longest path counts one level, the filter itself the "
            "first); flatten it: several keys in one object are an AND, and one $and or $or "
            "takes many conditions",
            field=field,
        )
    if bad is not None:
        problem, path = bad
        raise InvalidRequest(f"{problem} at {field}{_render(path)}; {FLOAT64_HINT}", field=field)


def metadata_bytes(metadata: dict[str, object]) -> int:
    """The size of metadata as S3 Vectors counts it: compact JSON in UTF-8."""
    return len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())


def _render(path: _Path) -> str:
    steps: list[str] = []
    while path is not None:
        path, step = path
        steps.append(step)
    return "".join(reversed(steps))
