"""One function per operation; `run` picks it by the request model's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models import (
    AvailabilityCheck,
    DeleteVectors,
    DescribeIndex,
    GetVectors,
    ListIndexes,
    ListVectors,
    PutVectors,
    QueryVectors,
    QueryVectorsBatch,
)
from .indexes import availability_check, describe_index, list_indexes
from .query import query_vectors, query_vectors_batch
from .read import get_vectors, list_vectors
from .write import delete_vectors, put_vectors

_BY_MODEL: dict[type, Callable[[Any], Any]] = {
    AvailabilityCheck: availability_check,
    DescribeIndex: describe_index,
    ListIndexes: list_indexes,
    QueryVectors: query_vectors,
    QueryVectorsBatch: query_vectors_batch,
    GetVectors: get_vectors,
    ListVectors: list_vectors,
    PutVectors: put_vectors,
    DeleteVectors: delete_vectors,
}


def run(request: Any) -> Any:
    return _BY_MODEL[type(request)](request)


def result_count(result: Any) -> int:
    """Rows answered, for the result_count metric."""
    if isinstance(result, list):
        return len(result)
    if isinstance(result, dict):
        for key in ("total_count", "written_count", "deleted_count"):
            if key in result:
                return int(result[key])
    return 1
