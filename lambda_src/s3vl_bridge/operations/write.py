"""put_vectors and delete_vectors: everything checked first, then written in chunks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import client
from ..access import index_arn_of
from ..errors import BridgeError, InvalidRequest, PartialWrite
from ..index_info import index_info
from ..limits import (
    DELETE_CHUNK,
    FLOAT32_ROUNDS_TO_ZERO,
    METADATA_FILTERABLE_BYTES,
    METADATA_KEYS_MAX,
    METADATA_TOTAL_BYTES,
    PUT_CHUNK,
    PUT_CHUNK_BYTES,
)

if TYPE_CHECKING:
    from ..models.delete_vectors import DeleteVectors
    from ..models.put_vectors import PutVectors

# The answer names every key written (s3vl.flush marks a change done only when it is named), so
# the keys must fit Lambda's 6 MB synchronous response (6,291,556 bytes), less room for the
# envelope. A key is at most 1024 characters; as the runtime serialises it (ASCII escapes) a
# character outside the BMP takes 12 bytes, so one key takes at most 12,292 bytes with its
# quotes and separator, and 500 keys (a PutVectors chunk, and what SQL sends per invocation)
# always fit. Larger requests are measured before anything is written.
ANSWER_KEYS_BYTES_MAX = 6_291_556 - 16_384
_KEY_ANSWER_BYTES_BOUND = 1024 * 12 + 4


def put_vectors(request: PutVectors) -> dict[str, Any]:
    index_arn = index_arn_of(request)
    items = _checked_items(request)  # no AWS call yet
    _check_answer_fits([item["key"] for item in items], "vectors")
    info = index_info(index_arn)  # GetIndex, cached per container
    _check_against_index(
        request, info.dimension, info.distance_metric, set(info.non_filterable_metadata_keys)
    )
    chunks = _chunks(index_arn, items)
    _write_chunks(
        "put_vectors",
        index_arn,
        chunks,
        lambda chunk: {"vectors": chunk},
        key_of=lambda item: item["key"],
    )
    # The keys, in request order: what the caller may now consider written.
    return {
        "written_count": len(items),
        "written_keys": [item["key"] for item in items],
        "chunk_count": len(chunks),
    }


def delete_vectors(request: DeleteVectors) -> dict[str, Any]:
    index_arn = index_arn_of(request)
    keys = list(dict.fromkeys(request.vector_ids))
    _check_answer_fits(keys, "vector_ids")
    chunks = [keys[i : i + DELETE_CHUNK] for i in range(0, len(keys), DELETE_CHUNK)]
    _write_chunks(
        "delete_vectors", index_arn, chunks, lambda chunk: {"keys": chunk}, key_of=lambda key: key
    )
    # The keys, in request order (each once): what the caller may now consider deleted.
    return {"deleted_count": len(keys), "deleted_keys": keys, "chunk_count": len(chunks)}


def _check_answer_fits(keys: list[str], field: str) -> None:
    """Refuse, before the first write, a request whose answer could not name all its keys."""
    if len(keys) * _KEY_ANSWER_BYTES_BOUND <= ANSWER_KEYS_BYTES_MAX:
        return
    size = len(json.dumps(keys))
    if size > ANSWER_KEYS_BYTES_MAX:
        raise InvalidRequest(
            f"has {len(keys)} keys whose names take {size:,} bytes in the answer, over the "
            f"{ANSWER_KEYS_BYTES_MAX:,} that fit Lambda's 6 MB response; send fewer per request",
            field=field,
        )


def _checked_items(request: PutVectors) -> list[dict[str, Any]]:
    """Checks that need no AWS call (finite float32 values and key lengths are the model's):
    one dimension across the request, unique keys, metadata key count and size. Returns the
    PutVectors items."""
    items = []
    seen: dict[str, int] = {}
    dimension = len(request.vectors[0].data)
    for i, record in enumerate(request.vectors):
        values = record.data
        if len(values) != dimension:
            raise InvalidRequest(
                f"has {len(values)} values but vectors[0] has {dimension}; every vector of one "
                "request must have the index's dimension",
                field=f"vectors[{i}].data",
            )
        if record.key in seen:
            raise InvalidRequest(
                f"duplicate key {record.key!r} (also vectors[{seen[record.key]}]); "
                "send each key once",
                field=f"vectors[{i}].key",
            )
        seen[record.key] = i
        item: dict[str, Any] = {"key": record.key, "data": {"float32": values}}
        if record.metadata:
            if len(record.metadata) > METADATA_KEYS_MAX:
                raise InvalidRequest(
                    f"has {len(record.metadata)} keys; S3 Vectors allows {METADATA_KEYS_MAX}",
                    field=f"vectors[{i}].metadata",
                )
            size = _json_size(record.metadata)
            if size > METADATA_TOTAL_BYTES:
                raise InvalidRequest(
                    f"is {size} bytes; S3 Vectors allows {METADATA_TOTAL_BYTES} per vector",
                    field=f"vectors[{i}].metadata",
                )
            item["metadata"] = record.metadata
        items.append(item)
    return items


def _check_against_index(
    request: PutVectors, dimension: int, metric: str, non_filterable: set[str]
) -> None:
    first = request.vectors[0].data
    if len(first) != dimension:
        raise InvalidRequest(
            f"vectors have {len(first)} values but the index has dimension {dimension}",
            field="vectors[0].data",
        )
    for i, record in enumerate(request.vectors):
        # All zero as float32 stores it: 1e-46 is not 0.0 here but is 0 in float32.
        if metric == "cosine" and all(abs(v) <= FLOAT32_ROUNDS_TO_ZERO for v in record.data):
            raise InvalidRequest(
                "is all zeros, which has no direction for a cosine index",
                field=f"vectors[{i}].data",
            )
        if record.metadata:
            filterable = {k: v for k, v in record.metadata.items() if k not in non_filterable}
            size = _json_size(filterable)
            if size > METADATA_FILTERABLE_BYTES:
                raise InvalidRequest(
                    f"has {size} bytes of filterable metadata; S3 Vectors allows "
                    f"{METADATA_FILTERABLE_BYTES} (declare big keys non-filterable on the index)",
                    field=f"vectors[{i}].metadata",
                )


def _chunks(index_arn: str, items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """At most 500 vectors and 20 MiB of request body per PutVectors call. Sizes are those of
    the body botocore sends: json.dumps with its default separators and ASCII escapes."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    budget = PUT_CHUNK_BYTES - len(json.dumps({"indexArn": index_arn, "vectors": []}))
    size = 0
    for item in items:
        item_size = len(json.dumps(item)) + 2  # and its ", " separator
        if current and (len(current) == PUT_CHUNK or size + item_size > budget):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        chunks.append(current)
    return chunks


def _write_chunks(
    operation: str,
    index_arn: str,
    chunks: list[list[Any]],
    body: Callable[[list[Any]], dict[str, Any]],
    *,
    key_of: Callable[[Any], str],
) -> None:
    """Write chunk by chunk; on failure say exactly which keys were written and which not."""
    for n, chunk in enumerate(chunks):
        try:
            client.call(operation, indexArn=index_arn, **body(chunk))
        except BridgeError as exc:
            if n == 0:
                raise
            done = [key_of(x) for c in chunks[:n] for x in c]
            left = [key_of(x) for c in chunks[n:] for x in c]
            verb = "written" if operation == "put_vectors" else "deleted"
            raise PartialWrite(
                f"{operation} stopped at chunk {n + 1} of {len(chunks)}: {exc.message}; "
                f"{len(done)} keys were {verb}, {len(left)} were not (retry those)",
                cause=exc,
                details={
                    "cause": exc.type,
                    "chunks_done": n,
                    "chunk_count": len(chunks),
                    f"{verb}_keys": done,
                    f"not_{verb}_keys": left,
                },
            ) from None


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
