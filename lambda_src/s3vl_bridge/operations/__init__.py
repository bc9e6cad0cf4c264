"""One function per operation; `run` picks it by the request's `operation`.

Each operation module is imported on the first request of one of its operations, so a
container that only queries never loads the write path (and the other way round).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

# operation -> (module of this package, function). `ping` is availability_check's alias.
_FUNCTIONS: dict[str, tuple[str, str]] = {
    "availability_check": ("indexes", "availability_check"),
    "ping": ("indexes", "availability_check"),
    "describe_index": ("indexes", "describe_index"),
    "list_indexes": ("indexes", "list_indexes"),
    "query_vectors": ("query", "query_vectors"),
    "query_vectors_batch": ("query", "query_vectors_batch"),
    "get_vectors": ("read", "get_vectors"),
    "list_vectors": ("read", "list_vectors"),
    "put_vectors": ("write", "put_vectors"),
    "delete_vectors": ("write", "delete_vectors"),
}


def function_for(operation: str) -> Callable[[Any], Any]:
    module, name = _FUNCTIONS[operation]
    function: Callable[[Any], Any] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return function


def run(request: Any) -> Any:
    return function_for(request.operation)(request)


def result_count(result: Any) -> int:
    """Rows answered, for the result_count metric."""
    if isinstance(result, list):
        return len(result)
    if isinstance(result, dict):
        for key in ("total_count", "written_count", "deleted_count"):
            if key in result:
                return int(result[key])
    return 1
