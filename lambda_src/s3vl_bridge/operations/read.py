"""get_vectors and list_vectors."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from .. import client
from ..allowlist import served_index_arn
from ..budget import check_size, row_bound, wire_total
from ..limits import GET_CHUNK
from .pool import run_all

if TYPE_CHECKING:
    from ..models.get_vectors import GetVectors
    from ..models.list_vectors import ListVectors


def get_vectors(request: GetVectors) -> list[dict[str, Any]]:
    """Any number of keys, fetched GET_CHUNK at a time; rows in request order, each key once,
    found=false for keys the index does not hold."""
    index_arn = served_index_arn(request)
    keys = list(dict.fromkeys(request.vector_ids))
    chunks = [keys[i : i + GET_CHUNK] for i in range(0, len(keys), GET_CHUNK)]
    answers = run_all(
        [
            partial(
                client.call,
                "get_vectors",
                # Keys are deduplicated and chunked: a refusal names the list, not a position.
                item_offset=None,
                indexArn=index_arn,
                keys=chunk,
                returnData=request.include_vector_data,
                returnMetadata=request.include_metadata,
            )
            for chunk in chunks
        ]
    )
    found = {item["key"]: item for answer in answers for item in answer.body.get("vectors", ())}
    rows: list[dict[str, Any]] = []
    dimension = 0
    for key in keys:
        item = found.get(key)
        if item is None:
            rows.append({"vector_id": key, "embedding": None, "metadata": {}, "found": False})
            continue
        embedding = (item.get("data") or {}).get("float32") if request.include_vector_data else None
        dimension = max(dimension, len(embedding or ()))
        rows.append(
            {
                "vector_id": key,
                "embedding": embedding,
                "metadata": (item.get("metadata") or {}) if request.include_metadata else {},
                "found": True,
            }
        )
    # Rows of missing keys carry the requested key: count its bytes as if it came over the wire.
    wire_bytes = wire_total(answer.wire_bytes for answer in answers)
    if wire_bytes is not None:
        wire_bytes += sum(len(row["vector_id"].encode()) for row in rows if not row["found"])
    bound = row_bound(with_metadata=request.include_metadata, dimension=dimension)
    hint = "ask for fewer vector_ids or set include_vector_data to false"
    check_size(rows, row_bound=bound, hint=hint, wire_bytes=wire_bytes)
    return rows


def list_vectors(request: ListVectors) -> dict[str, Any]:
    """One page of ListVectors in the reference's shape: {vectors, total_count, next_token?}."""
    index_arn = served_index_arn(request)
    params: dict[str, Any] = {
        "indexArn": index_arn,
        "maxResults": request.max_results,
        "returnData": request.return_data,
        "returnMetadata": request.return_metadata,
    }
    if request.next_token is not None:
        params["nextToken"] = request.next_token
    if request.segment_count is not None:
        params["segmentCount"] = request.segment_count
        params["segmentIndex"] = request.segment_index
    answer = client.call("list_vectors", **params)
    page = answer.body

    vectors = []
    dimension = 0
    for item in page.get("vectors", ()):
        entry: dict[str, Any] = {"vector_id": item.get("key", "")}
        if request.return_data:
            entry["vector_data"] = (item.get("data") or {}).get("float32") or []
            dimension = max(dimension, len(entry["vector_data"]))
        if request.return_metadata:
            entry["metadata"] = item.get("metadata") or {}
        vectors.append(entry)
    result: dict[str, Any] = {"vectors": vectors, "total_count": len(vectors)}
    if page.get("nextToken"):
        result["next_token"] = page["nextToken"]
    hint = "lower max_results or set return_data to false"
    bound = row_bound(with_metadata=request.return_metadata, dimension=dimension)
    check_size(vectors, row_bound=bound, hint=hint, wire_bytes=answer.wire_bytes)
    return result
