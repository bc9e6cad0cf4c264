"""The request: one pydantic model per operation, picked by the `operation` field.

Validation runs in two steps: the `operation` tag is checked first, then only that
operation's model validates the request. Each model module is imported, and its schema
built (models are `defer_build`), on the first request of that operation, so a cold start
pays for one model instead of the nine a discriminated union builds up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest
from ..json_checks import check_filter

if TYPE_CHECKING:
    from .common import Request

# operation -> (module of this package, model class). `ping` is availability_check's alias.
_MODELS: dict[str, tuple[str, str]] = {
    "availability_check": ("availability_check", "AvailabilityCheck"),
    "ping": ("availability_check", "AvailabilityCheck"),
    "describe_index": ("describe_index", "DescribeIndex"),
    "list_indexes": ("list_indexes", "ListIndexes"),
    "query_vectors": ("query_vectors", "QueryVectors"),
    "query_vectors_batch": ("query_vectors_batch", "QueryVectorsBatch"),
    "get_vectors": ("get_vectors", "GetVectors"),
    "list_vectors": ("list_vectors", "ListVectors"),
    "put_vectors": ("put_vectors", "PutVectors"),
    "delete_vectors": ("delete_vectors", "DeleteVectors"),
}

OPERATIONS = tuple(_MODELS)
# Operations whose metadata_filter is checked (depth, float64 numbers) before their model runs.
_FILTERED = ("query_vectors", "query_vectors_batch")


def model_for(operation: str) -> type[Request]:
    """The model class of one operation (its module is imported on first use)."""
    module, name = _MODELS[operation]
    model: type[Request] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return model


def parse_request(event: Any) -> Any:
    """Validate the invocation payload into its operation's model (pydantic errors propagate;
    envelope.py turns them into ValidationError envelopes naming the field)."""
    if not isinstance(event, dict):
        raise InvalidRequest("the request must be a JSON object with an `operation` field")
    operation = event.get("operation")
    if operation is None:
        raise InvalidRequest(
            f"operation is required; one of: {', '.join(OPERATIONS)}", field="operation"
        )
    if not isinstance(operation, str) or operation not in _MODELS:
        # A JSON string is shown as sent; anything else by its type only (str() of a deeply
        # nested list would recurse until the stack runs out).
        shown = repr(operation[:64]) if isinstance(operation, str) else _json_type(operation)
        raise InvalidRequest(
            f"unknown operation {shown}; one of: {', '.join(OPERATIONS)}", field="operation"
        )
    if operation in _FILTERED and event.get("metadata_filter") is not None:
        # Before pydantic or anything recursive touches it: a filter nested 1,000 deep would
        # exhaust the stack further on (botocore validates a document recursively).
        check_filter(event["metadata_filter"])
    return model_for(operation).model_validate(event)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "(a boolean)"
    if isinstance(value, int | float):
        return "(a number)"
    return "(an object)" if isinstance(value, dict) else "(an array)"


__all__ = ["OPERATIONS", "model_for", "parse_request"]
