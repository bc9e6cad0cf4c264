from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..limits import QUERY_TEXTS_MAX
from .common import IndexSelector, MetadataFilter, TopK, Vector

QueryText = Annotated[str, StringConstraints(min_length=1)]


class QueryVectors(IndexSelector):
    """Reference fields and defaults: query_vector, top_k=10, return_metadata=true,
    metadata_filter; the rest are additions of the contract."""

    operation: Literal["query_vectors"]
    query_vector: Vector | None = None
    top_k: TopK = 10
    return_metadata: bool = True
    metadata_filter: MetadataFilter | None = None
    return_distance: bool = True
    query_mode: Literal["CLASSIC", "ENHANCED"] | None = None
    query_texts: (
        Annotated[list[QueryText], Field(min_length=1, max_length=QUERY_TEXTS_MAX)] | None
    ) = None
    return_scores: bool = False
