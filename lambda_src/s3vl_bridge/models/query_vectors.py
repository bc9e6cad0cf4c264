from typing import Self

from pydantic import model_validator

from ..errors import InvalidRequest
from .common import Search, Vector
from .text_search import QueryTexts, check_distinct_keys


class QueryVectors(Search):
    """One search: query_vector (the reference's), query_texts (full-text; both for hybrid)."""

    query_vector: Vector | None = None
    query_texts: QueryTexts | None = None
    return_scores: bool = False

    @model_validator(mode="after")
    def _something_to_search_for(self) -> Self:
        if self.query_vector is None and self.query_texts is None:
            raise InvalidRequest(
                "query_vector is required (or query_texts for a full-text query)",
                field="query_vector",
            )
        if self.return_scores and self.query_texts is None:
            raise InvalidRequest("return_scores needs query_texts", field="return_scores")
        check_distinct_keys(self.query_texts)
        return self
