"""Checks on JSON values that pydantic does not make, done without recursion so that no input
can exhaust Python's stack: how deeply a metadata filter nests, and numbers S3 Vectors cannot
keep (it stores and compares metadata numbers as float64)."""

from __future__ import annotations

import math
from typing import Any

from .errors import InvalidRequest
from .limits import FLOAT64_MAX, MAX_FILTER_DEPTH

FLOAT64_HINT = (
    "S3 Vectors keeps metadata numbers as float64 (finite, at most ±1.7976931348623157e308); "
    "store a larger number as a string"
)


def not_float64(value: Any) -> str | None:
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


def check_filter(document: Any, field: str = "metadata_filter") -> None:
    """Refuse a metadata filter nested deeper than MAX_FILTER_DEPTH, or holding a number that is
    not a finite float64. Runs before the request model sees the filter."""
    deepest = 0
    bad: tuple[str, Any] | None = None
    # (value, its depth if it is an object or array, its path as a linked (parent, step) pair)
    stack: list[tuple[Any, int, Any]] = [(document, 1, None)]
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
    if deepest > MAX_FILTER_DEPTH:
        raise InvalidRequest(
            f"is nested {deepest} levels deep; at most {MAX_FILTER_DEPTH} are allowed (each "
            "JSON object or array on the longest path counts one level, the filter itself the "
            "first); flatten it: several keys in one object are an AND, and one $and or $or "
            "takes many conditions",
            field=field,
        )
    if bad is not None:
        problem, path = bad
        raise InvalidRequest(f"{problem} at {field}{_render(path)}; {FLOAT64_HINT}", field=field)


def _render(path: Any) -> str:
    steps: list[str] = []
    while path is not None:
        path, step = path
        steps.append(step)
    return "".join(reversed(steps))
