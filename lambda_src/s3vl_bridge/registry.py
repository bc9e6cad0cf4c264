"""The operations the bridge serves, in one table: each name (and its aliases) -> the request
model that validates it and the function that runs it. Adding an operation is one entry here,
with its model in models/ and its function in operations/.

Validation runs in two steps: the `operation` name is checked here first, then only that
operation's model validates the request (each field, then the checks across fields), so the
function receives a request that is already whole.

Entries name modules, not objects: an operation's model module is imported, and its schema
built (models are `defer_build`), on the first request of that operation, and so is its
function's module. A cold start pays for the operation it is asked, not for all of them (a
discriminated union would build every model up front; a container that only queries never
loads the write path).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import InvalidRequest

if TYPE_CHECKING:
    from .models.common import Request

# What an operation answers: the envelope's `result`, plain JSON values.
JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"
Result: TypeAlias = "dict[str, JSON] | list[dict[str, JSON]]"


@dataclass(frozen=True)
class Operation:
    model: str  # "<module in models/>.<class>"
    function: str  # "<module in operations/>.<function>"
    aliases: tuple[str, ...] = ()


_TABLE: dict[str, Operation] = {
    "availability_check": Operation(
        "availability_check.AvailabilityCheck", "indexes.availability_check", aliases=("ping",)
    ),
    "describe_index": Operation("describe_index.DescribeIndex", "indexes.describe_index"),
    "list_indexes": Operation("list_indexes.ListIndexes", "indexes.list_indexes"),
    "query_vectors": Operation("query_vectors.QueryVectors", "query.query_vectors"),
    "query_vectors_batch": Operation(
        "query_vectors_batch.QueryVectorsBatch", "query.query_vectors_batch"
    ),
    "get_vectors": Operation("get_vectors.GetVectors", "read.get_vectors"),
    "list_vectors": Operation("list_vectors.ListVectors", "read.list_vectors"),
    "put_vectors": Operation("put_vectors.PutVectors", "write.put_vectors"),
    "delete_vectors": Operation("delete_vectors.DeleteVectors", "write.delete_vectors"),
    "embed": Operation("embed.Embed", "embed.embed"),
    "update_metadata_configuration": Operation(
        "update_metadata_configuration.UpdateMetadataConfiguration",
        "index_admin.update_metadata_configuration",
    ),
    "update_index_mode": Operation(
        "update_index_mode.UpdateIndexMode", "index_admin.update_index_mode"
    ),
}

_BY_NAME = {name: entry for key, entry in _TABLE.items() for name in (key, *entry.aliases)}
# Every name a request may give, each alias beside its operation.
OPERATIONS = tuple(_BY_NAME)


def model_for(operation: str) -> type[Request]:
    """The model class of one operation (its module is imported on first use)."""
    model: type[Request] = _load("models", _BY_NAME[operation].model)
    return model


def function_for(operation: str) -> Callable[[Request], Result]:
    """The function of one operation (its module is imported on first use). It takes the
    model of the same entry: the table is what pairs them."""
    function: Callable[[Request], Result] = _load("operations", _BY_NAME[operation].function)
    return function


def parse_request(event: object) -> Request:
    """Validate the invocation payload into its operation's model (pydantic errors propagate;
    envelope.py turns them into ValidationError envelopes naming the field)."""
    if not isinstance(event, dict):
        raise InvalidRequest("the request must be a JSON object with an `operation` field")
    operation = event.get("operation")
    if operation is None:
        raise InvalidRequest(
            f"operation is required; one of: {', '.join(OPERATIONS)}", field="operation"
        )
    if not isinstance(operation, str) or operation not in _BY_NAME:
        # A JSON string is shown as sent; anything else by its type only (str() of a deeply
        # nested list would recurse until the stack runs out).
        shown = repr(operation[:64]) if isinstance(operation, str) else _json_type(operation)
        raise InvalidRequest(
            f"unknown operation {shown}; one of: {', '.join(OPERATIONS)}", field="operation"
        )
    return model_for(operation).model_validate(event)


def run(request: Request) -> Result:
    return function_for(request.operation)(request)


def _load(package: str, dotted: str) -> Any:
    """An attribute of a module of one of this package's folders; its caller states its type."""
    module, attribute = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(f"{__package__}.{package}.{module}"), attribute)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "(a boolean)"
    if isinstance(value, int | float):
        return "(a number)"
    return "(an object)" if isinstance(value, dict) else "(an array)"
