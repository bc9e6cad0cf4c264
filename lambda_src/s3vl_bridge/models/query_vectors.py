from typing import Self

from pydantic import model_validator

from ..errors import InvalidRequest
from .common import Search, Vector
from .embed import EmbedQuery
from .text_search import QueryTexts, check_distinct_keys


class QueryVectors(Search):
    """One search: query_vector (the reference's), or embed_query (a text embedded first, in
    this invocation), query_texts (full-text; with either of the others for hybrid)."""

    query_vector: Vector | None = None
    embed_query: EmbedQuery | None = None
    query_texts: QueryTexts | None = None
    return_scores: bool = False

    @model_validator(mode="after")
    def _something_to_search_for(self) -> Self:
        if self.query_vector is not None and self.embed_query is not None:
            raise InvalidRequest(
                "give query_vector or embed_query (a text to embed), not both",
                field="embed_query",
            )
        if self.query_vector is None and self.embed_query is None and self.query_texts is None:
            raise InvalidRequest(
                "query_vector is required (or embed_query to search by a text's embedding, "
                "or query_texts for a full-text query)",
                field="query_vector",
            )
        if self.return_scores and self.query_texts is None:
            raise InvalidRequest("return_scores needs query_texts", field="return_scores")
        check_distinct_keys(self.query_texts)
        return self
