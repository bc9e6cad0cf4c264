from typing import Annotated, Literal

from pydantic import Field

from ..limits import BATCH_QUERIES_MAX
from .common import IndexSelector, MetadataFilter, TopK, Vector


class QueryVectorsBatch(IndexSelector):
    """Many query vectors against one index in one invocation; rows carry query_position."""

    operation: Literal["query_vectors_batch"]
    query_vectors: Annotated[list[Vector], Field(min_length=1, max_length=BATCH_QUERIES_MAX)]
    top_k: TopK = 10
    return_metadata: bool = True
    metadata_filter: MetadataFilter | None = None
    return_distance: bool = True
    query_mode: Literal["CLASSIC", "ENHANCED"] | None = None
