"""The request: a pydantic discriminated union on `operation`, one model per operation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from ..errors import InvalidRequest
from .availability_check import AvailabilityCheck
from .delete_vectors import DeleteVectors
from .describe_index import DescribeIndex
from .get_vectors import GetVectors
from .list_indexes import ListIndexes
from .list_vectors import ListVectors
from .put_vectors import PutVectors
from .query_vectors import QueryVectors
from .query_vectors_batch import QueryVectorsBatch

AnyRequest = Annotated[
    AvailabilityCheck
    | DescribeIndex
    | ListIndexes
    | QueryVectors
    | QueryVectorsBatch
    | GetVectors
    | ListVectors
    | PutVectors
    | DeleteVectors,
    Field(discriminator="operation"),
]

OPERATIONS = (
    "availability_check",
    "ping",
    "describe_index",
    "list_indexes",
    "query_vectors",
    "query_vectors_batch",
    "get_vectors",
    "list_vectors",
    "put_vectors",
    "delete_vectors",
)

_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyRequest)


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
    if operation not in OPERATIONS:
        raise InvalidRequest(
            f"unknown operation {str(operation)[:64]!r}; one of: {', '.join(OPERATIONS)}",
            field="operation",
        )
    return _ADAPTER.validate_python(event)


__all__ = [
    "OPERATIONS",
    "AnyRequest",
    "AvailabilityCheck",
    "DeleteVectors",
    "DescribeIndex",
    "GetVectors",
    "ListIndexes",
    "ListVectors",
    "PutVectors",
    "QueryVectors",
    "QueryVectorsBatch",
    "parse_request",
]
