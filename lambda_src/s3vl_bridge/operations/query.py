"""query_vectors and query_vectors_batch."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from .. import client
from ..allowlist import served_index_arn
from ..budget import check_size, row_bound, wire_total
from ..errors import BridgeError, InvalidRequest, UpstreamError
from ..index_info import index_info, metric_of
from ..limits import METADATA_KEY_LENGTH_MAX
from ..models.embed import renamed
from ..models.text_search import wire_texts
from .pool import run_all

if TYPE_CHECKING:
    from ..models.common import Search
    from ..models.embed import EmbedQuery
    from ..models.query_vectors import QueryVectors
    from ..models.query_vectors_batch import QueryVectorsBatch
    from ..models.text_search import QueryText

_TOO_LARGE = "lower top_k or set return_metadata to false"
# What return_scores adds to a row at most: per queried key its name (each character escaped
# to at most 12 bytes), a float and punctuation; then fused_score and vector_distance.
_SCORE_BYTES_PER_KEY = METADATA_KEY_LENGTH_MAX * 12 + 64
_SCORE_BYTES = 128


def query_vectors(request: QueryVectors) -> list[dict[str, Any]]:
    index_arn = served_index_arn(request)
    vector = request.query_vector
    if request.embed_query is not None:
        vector = _embedded(index_arn, request.embed_query)
    rows, wire_bytes = _search(
        index_arn,
        request,
        vector,
        texts=request.query_texts,
        return_scores=request.return_scores,
    )
    bound = row_bound(with_metadata=request.return_metadata)
    check_size(
        rows, row_bound=bound + _scores_bound(request), hint=_TOO_LARGE, wire_bytes=wire_bytes
    )
    return rows


def query_vectors_batch(request: QueryVectorsBatch) -> list[dict[str, Any]]:
    """Each query runs on the container's thread pool; rows carry query_position (1-based,
    like a PostgreSQL array subscript) so SQL can tell the queries apart."""
    index_arn = served_index_arn(request)
    results = run_all(
        [
            partial(_one_of_batch, position, index_arn, request, vector)
            for position, vector in enumerate(request.query_vectors)
        ]
    )
    rows = [
        {"query_position": position, **row}
        for position, (found, _) in enumerate(results, start=1)
        for row in found
    ]
    wire_bytes = wire_total(size for _, size in results)
    bound = row_bound(with_metadata=request.return_metadata) + _scores_bound(request)
    check_size(rows, row_bound=bound, hint=_TOO_LARGE, wire_bytes=wire_bytes)
    return rows


def _one_of_batch(
    position: int, index_arn: str, request: QueryVectorsBatch, vector: list[float]
) -> tuple[list[dict[str, Any]], int | None]:
    """One query of a batch; a refusal of its vector names its place in query_vectors."""
    try:
        return _search(
            index_arn,
            request,
            vector,
            texts=request.query_texts,
            return_scores=request.return_scores,
        )
    except BridgeError as error:
        if error.field == "query_vector":
            error.field = f"query_vectors[{position}]"
        raise


def _embedded(index_arn: str, query: EmbedQuery) -> list[float]:
    """The query text's vector: embed's one InvokeModel, once the index is known to be served
    and of the dimension asked (GetIndex, once per container and index), so a request that
    cannot search costs no Bedrock call; its errors name embed_query's fields."""
    from ..embedding import KNOWN_MODELS
    from .embed import embed

    dimension = query.dimension or KNOWN_MODELS[query.model_id].default_dimension
    index_dimension = index_info(index_arn).dimension
    if dimension != index_dimension:
        raise InvalidRequest(
            f"{query.model_id} would answer {dimension} values but the index has dimension "
            f"{index_dimension}; pass the dimension (and model) the index was filled with",
            field="embed_query.dimension",
        )
    try:
        (vector,) = embed(query.as_embed())["embeddings"]
    except BridgeError as error:
        raise renamed(error) from error
    return list(vector)


def _scores_bound(request: QueryVectors | QueryVectorsBatch) -> int:
    if not request.return_scores or request.query_texts is None:
        return 0
    return len(request.query_texts) * _SCORE_BYTES_PER_KEY + _SCORE_BYTES


def _search(
    index_arn: str,
    request: Search,
    vector: list[float] | None,
    *,
    texts: list[QueryText] | None = None,
    return_scores: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """One QueryVectors search (by vector, by texts, or both: hybrid), following nextToken
    until top_k hits (the same request on every page, as the API requires). Also returns the
    bytes its answers took on the wire (None when a page did not say), for the response
    budget."""
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
    if texts is not None:
        params["queryTexts"] = wire_texts(texts)
        if return_scores:
            params["returnScores"] = True

    hits: list[dict[str, Any]] = []
    metric: str | None = None
    page_bytes: list[int | None] = []
    while True:
        answer = client.call("query_vectors", **params)
        page = answer.body
        page_bytes.append(answer.wire_bytes)
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
    with_scores = texts is not None and return_scores
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
            row.update(_scores(hit.get("scores") or {}))
        rows.append(row)
    return rows, wire_total(page_bytes)


def _scores(scores: dict[str, Any]) -> dict[str, Any]:
    """S3 Vectors' scores as row fields: bm25_scores by metadata key (the keys the result
    matched), fused_score (hybrid only), vector_distance (when the vector ranking holds it)."""
    return {
        "bm25_scores": {s["metadataKey"]: s["score"] for s in scores.get("bm25Scores", ())},
        "fused_score": scores.get("fused"),
        "vector_distance": scores.get("vectorDistance"),
    }


def _cosine(distance: float) -> float:
    return 1.0 - distance


def _euclidean(distance: float) -> float:
    return 1.0 / (1.0 + distance)


_SCORES = {"cosine": _cosine, "euclidean": _euclidean}
