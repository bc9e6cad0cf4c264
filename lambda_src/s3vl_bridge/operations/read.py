"""get_vectors and list_vectors."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from .. import client
from ..access import index_arn_of
from ..envelope import answer_bytes, check_size, row_bound
from ..errors import InvalidRequest
from ..limits import GET_CHUNK
from .pool import run_all

if TYPE_CHECKING:
    from ..models.get_vectors import GetVectors
    from ..models.list_vectors import ListVectors


def get_vectors(request: GetVectors) -> list[dict[str, Any]]:
    """Any number of keys, fetched 100 at a time; rows in request order, each key once,
    found=false for keys the index does not hold."""
    index_arn = index_arn_of(request)
    keys = list(dict.fromkeys(request.vector_ids))
    chunks = [keys[i : i + GET_CHUNK] for i in range(0, len(keys), GET_CHUNK)]
    pages = run_all(
        [
            partial(
                client.call,
                "get_vectors",
                indexArn=index_arn,
                keys=chunk,
                returnData=request.include_vector_data,
                returnMetadata=request.include_metadata,
            )
            for chunk in chunks
        ]
    )
    found = {item["key"]: item for page in pages for item in page.get("vectors", ())}
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
    sizes = [answer_bytes(page) for page in pages]
    wire_bytes = None
    if None not in sizes:
        missing = sum(len(row["vector_id"].encode()) for row in rows if not row["found"])
        wire_bytes = sum(size for size in sizes if size is not None) + missing
    bound = row_bound(with_metadata=request.include_metadata, dimension=dimension)
    hint = "ask for fewer vector_ids or set include_vector_data to false"
    check_size(rows, row_bound=bound, hint=hint, wire_bytes=wire_bytes)
    return rows


def list_vectors(request: ListVectors) -> dict[str, Any]:
    """One page of ListVectors in the reference's shape: {vectors, total_count, next_token?}."""
    if (request.segment_count is None) != (request.segment_index is None):
        missing = "segment_index" if request.segment_index is None else "segment_count"
        raise InvalidRequest(
            "segment_count and segment_index go together; give both or neither", field=missing
        )
    if request.segment_count is not None and request.segment_index >= request.segment_count:  # type: ignore[operator]
        raise InvalidRequest(
            f"segment_index must be below segment_count ({request.segment_count})",
            field="segment_index",
        )
    index_arn = index_arn_of(request)
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
    page = client.call("list_vectors", **params)

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
    check_size(vectors, row_bound=bound, hint=hint, wire_bytes=answer_bytes(page))
    return result
