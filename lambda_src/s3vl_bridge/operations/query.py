"""query_vectors and query_vectors_batch."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from .. import client
from ..access import index_arn_of
from ..envelope import answer_bytes, check_size, row_bound
from ..errors import InvalidRequest, UpstreamError
from ..index_info import metric_of
from .pool import run_all

if TYPE_CHECKING:
    from ..models.query_vectors import QueryVectors
    from ..models.query_vectors_batch import QueryVectorsBatch

_TOO_LARGE = "lower top_k or set return_metadata to false"


def query_vectors(request: QueryVectors) -> list[dict[str, Any]]:
    if request.query_vector is None and request.query_texts is None:
        raise InvalidRequest(
            "query_vector is required (or query_texts for a full-text query)",
            field="query_vector",
        )
    if request.return_scores and request.query_texts is None:
        raise InvalidRequest("return_scores needs query_texts", field="return_scores")
    index_arn = index_arn_of(request)
    rows, wire_bytes = _search(index_arn, request.query_vector, request)
    bound = row_bound(with_metadata=request.return_metadata)
    check_size(rows, row_bound=bound, hint=_TOO_LARGE, wire_bytes=wire_bytes)
    return rows


def query_vectors_batch(request: QueryVectorsBatch) -> list[dict[str, Any]]:
    """Each query runs on the container's thread pool; rows carry query_position (1-based,
    like a PostgreSQL array subscript) so SQL can tell the queries apart."""
    # All rows checked before the first search: the searches run concurrently, so a bad row
    # found by S3 Vectors would come after others had already been sent.
    dimension = len(request.query_vectors[0])
    for i, vector in enumerate(request.query_vectors):
        if len(vector) != dimension:
            raise InvalidRequest(
                f"has {len(vector)} values but query_vectors[0] has {dimension}; every query "
                "vector of one batch must have the index's dimension",
                field=f"query_vectors[{i}]",
            )
    index_arn = index_arn_of(request)
    results = run_all(
        [partial(_search, index_arn, vector, request) for vector in request.query_vectors]
    )
    rows = [
        {"query_position": position, **row}
        for position, (found, _) in enumerate(results, start=1)
        for row in found
    ]
    sizes = [size for _, size in results]
    wire_bytes = None if None in sizes else sum(s for s in sizes if s is not None)
    bound = row_bound(with_metadata=request.return_metadata)
    check_size(rows, row_bound=bound, hint=_TOO_LARGE, wire_bytes=wire_bytes)
    return rows


def _search(
    index_arn: str, vector: list[float] | None, request: Any
) -> tuple[list[dict[str, Any]], int | None]:
    """One QueryVectors search, following nextToken until top_k hits (same vector, topK and
    filter on every page, as the API requires). Also returns the bytes its answers took on
    the wire (None when a page did not say), for the response size check."""
    top_k = request.top_k
    params: dict[str, Any] = {
        "indexArn": index_arn,
        "topK": top_k,
        "returnMetadata": request.return_metadata,
        "returnDistance": request.return_distance,
    }
    if vector is not None:
        params["queryVector"] = {"float32": vector}
    if request.metadata_filter is not None:
        params["filter"] = request.metadata_filter
    if request.query_mode is not None:
        params["queryMode"] = request.query_mode
    texts = getattr(request, "query_texts", None)
    if texts is not None:
        params["queryTexts"] = texts
        if request.return_scores:
            params["returnScores"] = True

    hits: list[dict[str, Any]] = []
    metric: str | None = None
    wire_bytes: int | None = 0
    while True:
        page = client.call("query_vectors", **params)
        page_bytes = answer_bytes(page)
        wire_bytes = None if wire_bytes is None or page_bytes is None else wire_bytes + page_bytes
        hits.extend(page.get("vectors", ()))
        metric = metric or page.get("distanceMetric")
        token = page.get("nextToken")
        # A page may hold fewer than top_k hits (CLASSIC filters during the search), even
        # none; only the token says whether more follow. A token handed back unchanged
        # would never end, so it is refused rather than followed.
        if not token or len(hits) >= top_k:
            break
        if token == params.get("nextToken"):
            raise UpstreamError(
                "S3 Vectors query_vectors returned the same nextToken twice; retry the query"
            )
        params["nextToken"] = token
    del hits[top_k:]

    if request.return_distance and metric is None and hits:
        metric = metric_of(index_arn)  # GetIndex, once per container and index
    score = _SCORES.get((metric or "").lower(), _cosine)
    with_scores = texts is not None and request.return_scores
    rows = []
    for hit in hits:
        distance = hit.get("distance")
        row = {
            "vector_id": hit["key"],
            "distance": distance,
            "similarity_score": None if distance is None else score(distance),
            "metadata": hit.get("metadata") or {},
        }
        if with_scores:
            row["scores"] = hit.get("scores") or {}
        rows.append(row)
    return rows, wire_bytes


def _cosine(distance: float) -> float:
    return 1.0 - distance


def _euclidean(distance: float) -> float:
    return 1.0 / (1.0 + distance)


_SCORES = {"cosine": _cosine, "euclidean": _euclidean}
