"""The checks of the S3 Vectors limits (limits.py), made before anything is stored.

Every check raises a ValidationException naming the field by its request path
(e.g. `vectors[3].metadata`), so a caller can point at the exact input to fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

import numpy as np

from .errors import ValidationException, json_type_name
from .limits import (
    FLOAT32_MAX,
    FLOAT64_MAX,
    MAX_DIMENSION,
    MAX_FILTERABLE_METADATA_BYTES,
    MAX_KEY_LENGTH,
    MAX_METADATA_BYTES,
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_NON_FILTERABLE_KEYS,
    MAX_PUT_REQUEST_BYTES,
    MAX_TOP_K,
    QUERY_PAGE_SIZE,
)

FLOAT64_HINT = "S3 Vectors keeps metadata numbers as float64; store larger numbers as strings."


def index_selector(index_arn: str | None, bucket_name: str | None, index_name: str | None) -> None:
    if index_arn and (bucket_name or index_name):
        raise ValidationException(
            "indexArn",
            "indexArn was given together with vectorBucketName/indexName",
            "Specify either indexArn or both vectorBucketName and indexName, not both.",
        )
    if not index_arn and not (bucket_name and index_name):
        raise ValidationException(
            "indexName" if bucket_name else "vectorBucketName",
            "the index is not fully specified",
            "Specify either indexArn or both vectorBucketName and indexName.",
        )


def put_request_bytes(size: int) -> None:
    if size > MAX_PUT_REQUEST_BYTES:
        raise ValidationException(
            "vectors",
            f"the PutVectors request is {size:,} bytes; at most {MAX_PUT_REQUEST_BYTES:,}"
            " (20 MiB) are allowed",
            "Send fewer vectors per request.",
        )


def count_between(items: Any, field: str, low: int, high: int) -> list[Any]:
    if not isinstance(items, list):
        raise ValidationException(field, "must be a list", "Send a JSON array.")
    if not low <= len(items) <= high:
        hint = (
            f"Send at most {high} per request and split larger batches."
            if len(items) > high
            else f"Send at least {low}."
        )
        raise ValidationException(
            field, f"has {len(items)} items; between {low} and {high} are allowed", hint
        )
    return items


def vector_key(key: Any, field: str) -> str:
    if not isinstance(key, str):
        raise ValidationException(field, f"a key must be a string, got {json_type_name(key)}")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationException(
            field, f"a key must be 1 to {MAX_KEY_LENGTH} characters, got {len(key)} characters"
        )
    return key


def keys(items: Any, field: str, high: int) -> list[str]:
    count_between(items, field, 1, high)
    return [vector_key(key, f"{field}[{i}]") for i, key in enumerate(items)]


def vector_data(data: Any, field: str, dimension: int, metric: str) -> np.ndarray:
    values = data.get("float32") if isinstance(data, dict) else None
    if not isinstance(values, list):
        raise ValidationException(
            field, "vector data must be given as {'float32': [...]}", "Send float32 values only."
        )
    if len(values) != dimension:
        raise ValidationException(
            field,
            f"vector has dimension {len(values)} but the index has dimension {dimension}",
            "Send vectors with exactly the index's dimension.",
        )
    if not _numbers_only(values):
        raise ValidationException(
            field, "every element must be a number", "Send {'float32': [number, ...]}."
        )
    try:
        row: np.ndarray | None = np.asarray(values, dtype=np.float64)
    except OverflowError:  # an integer beyond float64
        row = None
    if row is None or not np.isfinite(row).all() or (row.size and np.abs(row).max() > FLOAT32_MAX):
        raise ValidationException(
            field,
            "NaN and Infinity are not allowed (nor values beyond float32 range)",
            "Send finite float32 values.",
        )
    row32 = row.astype(np.float32)
    if metric == "cosine" and not row32.any():
        raise ValidationException(
            field,
            "an all-zero vector has no direction under the cosine metric",
            "Send a vector with a non-zero value, or use a euclidean index.",
        )
    return row32


def vectors_data(vectors: list[Any], dimension: int, metric: str) -> np.ndarray | None:
    """The rows of a PutVectors as one float32 matrix when every vector's data passes
    vector_data's checks, made on the whole matrix at once (one conversion for the request
    instead of one per vector); None when any does not, so the caller checks each in turn."""
    rows = _as_matrix(vectors, dimension)
    if rows is None:
        return None
    if not np.isfinite(rows).all() or np.abs(rows).max() > FLOAT32_MAX:
        return None
    rows32 = rows.astype(np.float32)
    if metric == "cosine" and not rows32.any(axis=1).all():
        return None
    return rows32


def _as_matrix(vectors: list[Any], dimension: int) -> np.ndarray | None:
    """Every vector's {'float32': [numbers]} as one float64 matrix, or None when one is not
    that shape with `dimension` values."""
    lists = []
    for vector in vectors:
        data = vector.get("data") if isinstance(vector, dict) else None
        values = data.get("float32") if isinstance(data, dict) else None
        if not isinstance(values, list) or len(values) != dimension or not _numbers_only(values):
            return None
        lists.append(values)
    try:
        rows = np.array(lists, dtype=np.float64)
    except OverflowError:  # an integer beyond float64
        return None
    return rows  # each of the lists has `dimension` numbers: shape (len(vectors), dimension)


_NUMBER_TYPES = frozenset({int, float})
# AWS's JSON protocol writes a float's NaN and infinities as these strings (botocore does).
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})


def _numbers_only(values: list[Any]) -> bool:
    """Only JSON numbers and the words for NaN and the infinities (refused as not finite
    next): numpy would take "2" and true as 2.0 and 1.0 without a word."""
    kinds = set(map(type, values))
    if kinds <= _NUMBER_TYPES:
        return True
    return kinds <= {*_NUMBER_TYPES, str} and all(
        v in _FLOAT_WORDS for v in values if isinstance(v, str)
    )


def metadata(meta: Any, field: str, non_filterable: Collection[str]) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ValidationException(field, "metadata must be a JSON object")
    if len(meta) > MAX_METADATA_KEYS:
        raise ValidationException(
            field,
            f"has {len(meta)} keys; at most {MAX_METADATA_KEYS} are allowed",
            "Combine or drop keys.",
        )
    for name, value in meta.items():
        _metadata_value(value, f"{field}.{name}")
    total = _json_bytes(meta)
    if total > MAX_METADATA_BYTES:
        raise ValidationException(
            field,
            f"metadata is {total} bytes; at most {MAX_METADATA_BYTES} bytes are allowed",
            "Keep large content outside S3 Vectors and store a reference to it.",
        )
    filterable = {k: v for k, v in meta.items() if k not in non_filterable}
    filterable_bytes = total if len(filterable) == len(meta) else _json_bytes(filterable)
    if filterable_bytes > MAX_FILTERABLE_METADATA_BYTES:
        raise ValidationException(
            field,
            f"filterable metadata is {filterable_bytes} bytes; at most "
            f"{MAX_FILTERABLE_METADATA_BYTES} bytes are allowed",
            "Declare large keys in metadataConfiguration.nonFilterableMetadataKeys.",
        )
    return meta


def _metadata_value(value: Any, field: str) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            float64(item, f"{field}[{i}]")
            if not _is_scalar(item):
                raise ValidationException(
                    f"{field}[{i}]",
                    "list elements must be strings, numbers or booleans",
                    "Flatten nested values into keys of their own.",
                )
    else:
        float64(value, field)
        if not _is_scalar(value):
            raise ValidationException(
                field,
                "metadata values must be a string, number, boolean or list of those",
                "Flatten nested objects into keys of their own.",
            )


def float64(value: Any, field: str) -> None:
    """Refuse a JSON number that is not a finite float64 (other values pass unchecked)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationException(field, f"{value} is not a finite number", FLOAT64_HINT)
    elif not -FLOAT64_MAX <= value <= FLOAT64_MAX:
        # Never str() it: an integer of more than 4,300 digits cannot be printed.
        digits = int(value.bit_length() * math.log10(2)) + 1
        raise ValidationException(
            field, f"a number of about {digits} digits is beyond float64", FLOAT64_HINT
        )


def _is_scalar(value: Any) -> bool:
    """A string, boolean or number (float64 has refused the numbers it cannot hold)."""
    return isinstance(value, str | int | float)  # bool is an int


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def top_k(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TOP_K:
        raise ValidationException(
            "topK",
            f"must be between 1 and {MAX_TOP_K}, got {value}",
            f"Results come back in pages of {QUERY_PAGE_SIZE} that follow nextToken.",
        )
    return value


def int_between(value: int | None, field: str, low: int, high: int) -> int:
    """An integer member's range (shapes.py refused any other JSON type; None is a member
    left out)."""
    if value is None or not low <= value <= high:
        raise ValidationException(field, f"must be between {low} and {high}, got {value}")
    return value


def dimension(value: Any) -> int:
    return int_between(value, "dimension", 1, MAX_DIMENSION)


def non_filterable_keys(config: dict[str, Any] | None) -> list[str]:
    """CreateIndex's metadataConfiguration: an object, its keys a list of strings (shapes.py)."""
    if config is None:
        return []
    names = config.get("nonFilterableMetadataKeys") or []
    field = "metadataConfiguration.nonFilterableMetadataKeys"
    count_between(names, field, 0, MAX_NON_FILTERABLE_KEYS)
    for i, name in enumerate(names):
        if not 1 <= len(name) <= MAX_METADATA_KEY_LENGTH:
            raise ValidationException(
                f"{field}[{i}]", f"a metadata key must be 1 to {MAX_METADATA_KEY_LENGTH} characters"
            )
    if len(set(names)) != len(names):
        raise ValidationException(
            field, "contains the same key more than once", "List each key once."
        )
    return list(names)
