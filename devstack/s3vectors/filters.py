"""The QueryVectors metadata filter language, compiled once into a predicate per request.

Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or, and $startsWith in ENHANCED
mode. `{"k": v}` means `{"k": {"$eq": v}}`; several keys in one object are an AND; several
operators on one key are an AND. Against a list value, $eq/$in/$startsWith and the range
operators match when any element does; $ne/$nin are their negations (so a missing key
matches them). Types never coerce: 1 is not "1" and true is not 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from functools import cached_property
from typing import Any

import numpy as np

from ..json_depth import value_depth
from .checks import float64
from .errors import ValidationException, json_type_name
from .limits import MAX_FILTER_DEPTH

_MISSING = object()
COMPARISON_OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists")
ENHANCED_OPERATORS = ("$startsWith",)
LOGICAL_OPERATORS = ("$and", "$or")
_HINT = "See the S3 Vectors metadata filtering guide for the supported operators."


class Filter:
    """A validated filter; `mask(columns)` says which rows of an index match."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def mask(self, columns: Columns) -> np.ndarray:
        return self.root.mask(columns)


class Column:
    """One metadata key across every row, split by type (each view built on first use) so
    leaf tests run in numpy."""

    def __init__(self, values: list[Any]) -> None:
        self.values = values

    @cached_property
    def present(self) -> np.ndarray:
        return np.fromiter((v is not _MISSING for v in self.values), bool, len(self.values))

    @cached_property
    def numbers(self) -> np.ndarray:
        """The value where it is a number, NaN elsewhere."""
        return np.fromiter(
            (v if _is_number(v) else np.nan for v in self.values), np.float64, len(self.values)
        )

    @cached_property
    def strings(self) -> tuple[np.ndarray, dict[str, int]]:
        """Each row's string as a small integer code (-1 elsewhere) and the codes by string,
        so a string test is one integer comparison per row and one test per distinct string."""
        codes: dict[str, int] = {}
        rows = np.fromiter(
            (codes.setdefault(v, len(codes)) if isinstance(v, str) else -1 for v in self.values),
            np.int64,
            len(self.values),
        )
        return rows, codes

    @cached_property
    def bools(self) -> np.ndarray:
        """1 for true, 0 for false, -1 for anything else."""
        return np.fromiter(
            ((1 if v else 0) if isinstance(v, bool) else -1 for v in self.values),
            np.int8,
            len(self.values),
        )

    @cached_property
    def elements(self) -> tuple[np.ndarray, Column]:
        """The elements of every list value as a column of their own, with the row each
        came from, so a list is tested element-wise in numpy too."""
        rows = [row for row, v in enumerate(self.values) if isinstance(v, list) for _ in v]
        items = [item for v in self.values if isinstance(v, list) for item in v]
        return np.asarray(rows, dtype=np.intp), Column(items)


class Columns:
    """Columns of one index snapshot, built on first use per key."""

    def __init__(self, metadata: list[dict[str, Any]]) -> None:
        self._metadata = metadata
        self._columns: dict[str, Column] = {}

    def column(self, key: str) -> Column:
        column = self._columns.get(key)
        if column is None:
            column = Column([meta.get(key, _MISSING) for meta in self._metadata])
            self._columns[key] = column
        return column


class Node:
    def mask(self, columns: Columns) -> np.ndarray:
        raise NotImplementedError


class AllOf(Node):
    def __init__(self, children: list[Node]) -> None:
        self.children = children

    def mask(self, columns: Columns) -> np.ndarray:
        result = self.children[0].mask(columns)
        for child in self.children[1:]:
            result = result & child.mask(columns)
        return result


class AnyOf(AllOf):
    def mask(self, columns: Columns) -> np.ndarray:
        result = self.children[0].mask(columns)
        for child in self.children[1:]:
            result = result | child.mask(columns)
        return result


class Condition(Node):
    """One operator on one key. $ne and $nin are the negation of $eq and $in."""

    def __init__(self, key: str, op: str, arg: Any) -> None:
        self.key = key
        self.op = op
        self.arg = arg
        self.negated = op in ("$ne", "$nin")

    def mask(self, columns: Columns) -> np.ndarray:
        column = columns.column(self.key)
        if self.op == "$exists":
            return column.present if self.arg else ~column.present
        hit = self._scalar_mask(column)  # False on list values; their elements decide below
        rows, elements = column.elements
        if len(rows):
            np.logical_or.at(hit, rows, self._scalar_mask(elements))
        return ~hit if self.negated else hit

    def _scalar_mask(self, column: Column) -> np.ndarray:
        op, arg = self.op, self.arg
        if op in _RANGE:  # NaN marks "not a number": it compares false, never in range
            return _RANGE[op](column.numbers, arg)
        string_rows, codes = column.strings
        if op == "$startsWith":
            return np.isin(string_rows, [c for text, c in codes.items() if text.startswith(arg)])
        options = arg if op in ("$in", "$nin") else [arg]  # else $eq or $ne
        hit = np.zeros(len(column.values), dtype=bool)
        for option in options:
            if isinstance(option, bool):
                hit |= column.bools == int(option)
            elif isinstance(option, str):
                if option in codes:
                    hit |= string_rows == codes[option]
            else:
                hit |= column.numbers == option
        return hit


def compile_filter(
    document: Any, *, non_filterable_keys: Collection[str] = (), enhanced: bool = True
) -> Filter:
    """Validate a filter document; raise ValidationException naming the bad part."""
    if not isinstance(document, dict) or not document:
        raise ValidationException(
            "filter", "a filter must be a non-empty JSON object", "Omit 'filter' to match all."
        )
    # Measured without recursion before the recursive compile below touches it.
    depth = value_depth(document)
    if depth > MAX_FILTER_DEPTH:
        raise ValidationException(
            "filter",
            f"the filter is nested {depth} levels deep; at most {MAX_FILTER_DEPTH} levels of "
            "objects and arrays are allowed",
            "Flatten it: several keys in one object are an AND, and one $and or $or takes "
            "many conditions.",
        )
    return Filter(_compile_object(document, "filter", frozenset(non_filterable_keys), enhanced))


def _compile_object(doc: dict, path: str, non_filterable: frozenset, enhanced: bool) -> Node:
    if not doc:
        raise ValidationException(path, "an empty object is not a filter", _HINT)
    return AllOf([_compile_entry(k, v, path, non_filterable, enhanced) for k, v in doc.items()])


def _compile_entry(
    key: str, value: Any, path: str, non_filterable: frozenset, enhanced: bool
) -> Node:
    if key in LOGICAL_OPERATORS:
        here = f"{path}.{key}"
        if not isinstance(value, list) or not value:
            raise ValidationException(here, f"{key} takes a non-empty array of filters", _HINT)
        subs = []
        for position, sub in enumerate(value):
            if not isinstance(sub, dict):
                raise ValidationException(
                    f"{here}[{position}]", "each entry must be a filter object", _HINT
                )
            subs.append(_compile_object(sub, f"{here}[{position}]", non_filterable, enhanced))
        return AllOf(subs) if key == "$and" else AnyOf(subs)
    if key.startswith("$"):
        raise ValidationException(f"{path}.{key}", f"unknown operator '{key}'", _HINT)
    if not key:
        raise ValidationException(path, "a metadata key must not be empty", _HINT)
    if key in non_filterable:
        raise ValidationException(
            f"{path}.{key}",
            f"metadata key '{key}' is non-filterable in this index",
            "Filter only on keys not listed in metadataConfiguration.nonFilterableMetadataKeys.",
        )
    here = f"{path}.{key}"
    if isinstance(value, dict):
        if not value:
            raise ValidationException(here, "an empty operator object is not a condition", _HINT)
        return AllOf(
            [_compile_operator(key, op, arg, f"{here}.{op}", enhanced) for op, arg in value.items()]
        )
    return _compile_operator(key, "$eq", value, here, enhanced)


def _compile_operator(key: str, op: str, arg: Any, path: str, enhanced: bool) -> Node:
    if op in ("$eq", "$ne"):
        _require_primitive(arg, path, op)
    elif op in _RANGE:
        float64(arg, path)
        if not _is_number(arg):
            raise ValidationException(
                path, f"{op} takes a number, got {json_type_name(arg)}", _HINT
            )
    elif op in ("$in", "$nin"):
        if not isinstance(arg, list) or not arg:
            raise ValidationException(path, f"{op} takes a non-empty array of values", _HINT)
        for position, item in enumerate(arg):
            _require_primitive(item, f"{path}[{position}]", op)
    elif op == "$exists":
        if not isinstance(arg, bool):
            raise ValidationException(
                path, f"$exists takes true or false, got {json_type_name(arg)}", _HINT
            )
    elif op == "$startsWith":
        if not enhanced:
            raise ValidationException(
                path,
                "$startsWith is available only in ENHANCED mode",
                "Query with queryMode ENHANCED or switch the index with UpdateIndexMode.",
            )
        if not isinstance(arg, str) or not arg:
            raise ValidationException(path, "$startsWith takes a non-empty string", _HINT)
    elif op in LOGICAL_OPERATORS:
        raise ValidationException(path, f"{op} must appear at the top of a filter object", _HINT)
    else:
        raise ValidationException(path, f"unknown operator '{op}'", _HINT)
    return Condition(key, op, arg)


_RANGE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "$gt": lambda v, a: v > a,
    "$gte": lambda v, a: v >= a,
    "$lt": lambda v, a: v < a,
    "$lte": lambda v, a: v <= a,
}


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _require_primitive(arg: Any, path: str, op: str) -> None:
    float64(arg, path)
    if not (isinstance(arg, str | bool) or _is_number(arg)):
        raise ValidationException(
            path, f"{op} takes a string, number or boolean, got {json_type_name(arg)}", _HINT
        )
