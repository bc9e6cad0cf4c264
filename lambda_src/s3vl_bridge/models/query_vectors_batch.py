from typing import Annotated, Self

from pydantic import Field, model_validator

from ..errors import InvalidRequest
from ..limits import BATCH_QUERIES_MAX
from .common import Search, Vector
from .text_search import QueryTexts, check_distinct_keys


class QueryVectorsBatch(Search):
    """Many query vectors against one index in one invocation; rows carry query_position.
    query_texts, when given, go with every query vector: each search is then hybrid."""

    query_vectors: Annotated[list[Vector], Field(min_length=1, max_length=BATCH_QUERIES_MAX)]
    query_texts: QueryTexts | None = None
    return_scores: bool = False

    @model_validator(mode="after")
    def _one_dimension(self) -> Self:
        """All rows checked before the first search: the searches run concurrently, so a bad
        row found by S3 Vectors would come after others had already been sent."""
        dimension = len(self.query_vectors[0])
        for i, vector in enumerate(self.query_vectors):
            if len(vector) != dimension:
                raise InvalidRequest(
                    f"has {len(vector)} values but query_vectors[0] has {dimension}; every "
                    "query vector of one batch must have the index's dimension",
                    field=f"query_vectors[{i}]",
                )
        if self.return_scores and self.query_texts is None:
            raise InvalidRequest(
                "return_scores needs query_texts (scores come with full-text and hybrid search)",
                field="return_scores",
            )
        check_distinct_keys(self.query_texts)
        return self
