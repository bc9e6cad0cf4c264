from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from ..errors import InvalidRequest
from ..limits import LIST_MAX_RESULTS, LIST_NEXT_TOKEN_LENGTH_MAX, SEGMENT_COUNT_MAX
from .common import IndexSelector


class ListVectors(IndexSelector):
    """Reference fields and defaults: max_results=100, next_token, return_data=false,
    return_metadata=true; segment_count + segment_index split a scan across callers."""

    max_results: Annotated[int, Field(ge=1, le=LIST_MAX_RESULTS)] = 100
    next_token: (
        Annotated[str, StringConstraints(min_length=1, max_length=LIST_NEXT_TOKEN_LENGTH_MAX)]
        | None
    ) = None
    return_data: bool = False
    return_metadata: bool = True
    segment_count: Annotated[int, Field(ge=1, le=SEGMENT_COUNT_MAX)] | None = None
    segment_index: Annotated[int, Field(ge=0, lt=SEGMENT_COUNT_MAX)] | None = None

    @model_validator(mode="after")
    def _segments_go_together(self) -> Self:
        if self.segment_count is None or self.segment_index is None:
            if self.segment_count is not None or self.segment_index is not None:
                missing = "segment_index" if self.segment_index is None else "segment_count"
                raise InvalidRequest(
                    "segment_count and segment_index go together; give both or neither",
                    field=missing,
                )
        elif self.segment_index >= self.segment_count:
            raise InvalidRequest(
                f"segment_index must be below segment_count ({self.segment_count})",
                field="segment_index",
            )
        return self
